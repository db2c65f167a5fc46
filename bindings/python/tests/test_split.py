"""civic.split and civic.split_part: a log cut into subject partitions
(civic_split), as a scale-out front end uses it.

    CIVIC_LIBRARY=build/libcivic.so.1 python3 -m unittest discover -s bindings/python/tests
"""
import os
import unittest

from paths import REPO, SAMPLE  # noqa: E402
import civic                      # noqa: E402

V1_RULES = os.path.join(REPO, "examples", "data", "community-1.0.toml")


def sample_bytes():
    with open(SAMPLE, "rb") as f:
        return f.read()


def jsonl_log():
    lines = []
    for i in range(300):
        subject = "r%03d" % (i % 37) if i % 11 else "\\u0072%03d" % (i % 37)
        ts = '"2024-%02d-%02d"' % (1 + i % 12, 1 + i % 28) if i % 3 else str(1704067200 + i)
        lines.append('{"id":"j%d","subject":"%s","type":"volunteer_hour","ts":%s,"qty":2}'
                     % (i, subject, ts))
    return ("\n".join(lines) + "\n").encode("utf-8")


def answers(parts, rules):
    """Every subject's score line over engines of the parts, sorted."""
    rows = []
    for part in parts:
        with civic.Engine(rules) as engine:
            engine.load(part)
            rows.extend((s.subject, str(s.score), s.grade, str(s.balance))
                        for s in engine.subjects(AS_OF))
    return sorted(rows)


AS_OF = "2026-06-30"


class TestSplit(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.rules = civic.Rules.default()

    @classmethod
    def tearDownClass(cls):
        cls.rules.close()

    def test_parts_are_bytes_and_each_subject_is_in_its_part(self):
        data = sample_bytes()
        s = civic.split(data, 5, self.rules)
        self.assertEqual(len(s), 5)
        self.assertEqual(s.format, "csv")
        header = data.split(b"\n", 1)[0] + b"\n"
        total = 0
        for p, part in enumerate(s):
            self.assertIsInstance(part, bytes)
            self.assertTrue(part.startswith(header))
            lines = part[len(header):].splitlines()
            self.assertEqual(len(lines), s.part_events[p])
            for line in lines:
                subject = line.split(b",")[1].decode("utf-8")
                self.assertEqual(civic.split_part(subject, 5), p)
            total += len(lines)
        self.assertEqual(total, s.events)
        self.assertEqual(s.events, data.count(b"\n") - 1)
        # repr gives the parts' sizes, not their bytes (it printed the whole log)
        text = repr(s)
        self.assertLess(len(text), 400)
        self.assertIn("%d bytes" % len(s.parts[0]), text)
        self.assertNotIn("r0001", text)

    def test_the_parts_score_like_the_whole(self):
        data = sample_bytes()
        with civic.Engine(self.rules) as whole:
            whole.load(data)
            want = sorted((x.subject, str(x.score), x.grade, str(x.balance))
                          for x in whole.subjects(AS_OF))
            last = whole.time_range[1]
        s = civic.split(data, 3, self.rules)
        self.assertEqual(answers(s.parts, self.rules), want)
        self.assertEqual(s.max_ts, last)

    def test_views_are_the_parts_without_copies(self):
        data = sample_bytes()
        copies = civic.split(data, 4, self.rules)
        views = civic.split(data, 4, self.rules, views=True)
        self.assertEqual(views.part_events, copies.part_events)
        self.assertEqual((views.max_ts, views.events, views.lines),
                         (copies.max_ts, copies.events, copies.lines))
        for view, part in zip(views, copies):
            self.assertIsInstance(view, memoryview)
            self.assertTrue(view.readonly)
            self.assertEqual(view.tobytes(), part)
        # one buffer behind them all, in part order
        self.assertIs(views.parts[0].obj, views.parts[3].obj)
        self.assertEqual(b"".join(views.parts), b"".join(copies.parts))
        with self.assertRaises(TypeError):
            views.parts[0][0] = 0
        self.assertEqual(answers(views.parts, self.rules), answers(copies.parts, self.rules))
        # the parts outlive the Split and each other
        first = views.parts[0]
        del views
        self.assertEqual(first.tobytes(), copies.parts[0])
        with self.assertRaises(TypeError):
            civic.split(data, 2, views=1)

    def test_any_buffer_splits_as_its_bytes(self):
        data = sample_bytes()
        want = civic.split(data, 3, self.rules)
        cut = data.index(b"\n", len(data) // 2) + 1
        header = data[:data.index(b"\n") + 1]
        later = civic.split(data[cut:], 3, self.rules, header=header)
        block = bytearray(b"junk" + data + b"junk")
        cases = [
            (bytearray(data), None, want),
            (memoryview(bytearray(data)), None, want),
            (memoryview(block)[4:4 + len(data)], None, want),     # in place
            (memoryview(data), None, want),                       # read-only: copied
            (memoryview(block)[4 + cut:4 + len(data)], header, later),
        ]
        for buf, head, expect in cases:
            got = civic.split(buf, 3, self.rules, header=head)
            self.assertEqual(got.parts, expect.parts)
            self.assertEqual((got.events, got.max_ts), (expect.events, expect.max_ts))
        for buf, _, _ in cases:
            if isinstance(buf, memoryview):
                buf.release()
        # the buffer is not held after the call, even by an error whose
        # traceback (and the frames in it) is kept
        kept = None
        try:
            civic.split(block, 3, self.rules)      # "junkid,..." has no id column
        except civic.CivicError as e:
            kept = e
        self.assertIsNotNone(kept)
        block.extend(b"more")
        self.assertEqual(civic.split(bytearray(), 2, format="csv").events, 0)

    def test_a_big_split_matches_its_copies(self):
        # past 1 MiB the parts live in one anonymous mapping, not a bytearray
        data = sample_bytes()
        header = data[:data.index(b"\n") + 1]
        body = data[len(header):]
        big = header + body * (2 * (1 << 20) // len(body) + 1)
        copies = civic.split(big, 3, self.rules)
        views = civic.split(bytearray(big), 3, self.rules, views=True)
        self.assertGreater(len(big), 1 << 21)
        self.assertEqual([v.tobytes() for v in views.parts], copies.parts)
        self.assertEqual(views.part_events, copies.part_events)
        self.assertEqual(sum(len(p) for p in copies.parts),
                         len(big) + 2 * len(header))        # each part repeats the header
        first = views.parts[0]
        del views
        self.assertEqual(first.tobytes(), copies.parts[0])
        self.assertTrue(first.readonly)

    def test_json_lines_escapes_and_numbers(self):
        data = jsonl_log()
        s = civic.split(data, 4, self.rules)
        self.assertEqual(s.format, "jsonl")
        self.assertEqual(s.events, 300)
        with civic.Engine(self.rules) as whole:
            whole.load(data)
            self.assertEqual(s.max_ts, whole.time_range[1])
            self.assertEqual(whole.subject_count, 37)
        # j11's "\u0072011" and j48's "r011" are one subject: in one part
        holders = [p for p, part in enumerate(s) if b'"j11"' in part or b'"j48"' in part]
        self.assertEqual(len(set(holders)), 1)
        self.assertEqual(holders[0], civic.split_part("r011", 4))

    def test_blocks_of_one_file_with_the_header_given(self):
        data = sample_bytes()
        header, body = data.split(b"\n", 1)
        cut = body.index(b"\n", len(body) // 2) + 1
        first = civic.split(header + b"\n" + body[:cut], 4, self.rules)
        second = civic.split(body[cut:], 4, self.rules, header=header)
        whole = civic.split(data, 4, self.rules)
        for p in range(4):
            self.assertEqual(first.parts[p] + second.parts[p][len(header) + 1:], whole.parts[p])
        self.assertEqual(max(first.max_ts, second.max_ts), whole.max_ts)
        self.assertEqual(second.lines, body[cut:].count(b"\n"))

    def test_one_part_and_a_header_only_buffer(self):
        data = sample_bytes()
        self.assertEqual(civic.split(data, 1).parts, [data])
        s = civic.split("id,subject,type,ts\n", 3)
        self.assertEqual(s.parts, [b"id,subject,type,ts\n"] * 3)
        self.assertIsNone(s.max_ts)
        self.assertEqual(s.events, 0)
        self.assertEqual(civic.split(b"", 2).parts, [b"", b""])

    def test_the_offset_comes_from_the_rules_or_is_given(self):
        data = b"id,subject,type,ts\ne1,s,x,2030-01-01\n"
        default = civic.split(data, 2).max_ts          # the built-in scheme: +08:00
        self.assertEqual(default, self.rules.parse_time("2030-01-01"))
        self.assertEqual(civic.split(data, 2, utc_offset=0).max_ts,
                         self.rules.parse_time("2030-01-01T00:00:00Z"))
        # out of a day: refused, not wrapped into 32 bits (2**32 + 28800 was +08:00)
        for bad in (86400, -86400, 2 ** 32 + 28800, 2 ** 40):
            with self.assertRaises(ValueError):
                civic.split(data, 2, utc_offset=bad)

    def test_by_id(self):
        data = b"id,subject,type,ts\ne1,s1,x,1\ne1,s2,x,2\ne2,s1,x,3\n"
        s = civic.split(data, 8, key="id")
        part = s.parts[civic.split_part("e1", 8)]
        self.assertIn(b"e1,s1,x,1\ne1,s2,x,2\n", part)

    def test_bad_input_raises_with_line_and_column(self):
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(b"id,subject,type,ts\ne1,s1,x,1\ne2,s2,x,2024-13-01\n", 2)
        e = cm.exception
        self.assertEqual((e.code, e.line, e.column), (civic.CIVIC_E_EVENT, 3, 9))
        self.assertIn("field 'ts'", e.message)
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(b'{"id":"a","subject":"s","ts":1}\n{"id":', 2)
        self.assertEqual((cm.exception.code, cm.exception.line), (civic.CIVIC_E_SYNTAX, 2))
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(b"id,subject,ts\n", 2)
        self.assertIn("no 'type' column", cm.exception.message)
        # several missing: named at once, as the load names them
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(b"Event ID,Resident,type,ts\ne1,s1,x,1\n", 2)
        self.assertEqual(cm.exception.message,
                         "line 1: the header has no 'id' or 'subject' column (required: id, "
                         "subject, type, ts); rename 'Event ID' to 'id' and 'Resident' to "
                         "'subject'")
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(b"e1,s1,x,1\n", 2, header=b"id;subject;type,ts")
        self.assertEqual((cm.exception.line, cm.exception.message),
                         (0, "the given header: the header has no 'id', 'subject' or 'type' "
                             "column (required: id, subject, type, ts)"))
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(b"e1,s1,x,1\n", 2, header=b"id,subject,type,ts\nextra\n")
        self.assertEqual(cm.exception.code, civic.CIVIC_E_INVALID)

    def test_a_str_that_looks_like_a_path_is_said_to_be_read_as_text(self):
        # split("events.txt", 2) splits the str, as load() reads it: the
        # header error alone (with the advice for a log whose line breaks
        # curl -d removed) left the caller to guess why; the message says
        # first how the str was read and how to split the file, as load()
        # says it, in split()'s words
        import tempfile
        header = ("line 1: the header has no 'id', 'subject', 'type' or 'ts' column "
                  "(required: id, subject, type, ts)")
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "events.txt")
            with open(path, "wb") as f:
                f.write(sample_bytes())
            said = {
                path: "the str was read as events text, not as the path of the file it "
                      "names: pass its bytes (open(path, 'rb').read()) to split the file",
                path + "\n": "the str was read as events text: it ends in a line break, and "
                              "without it names a file (a line read with readline() keeps its "
                              "line break): strip it, then pass its bytes (open(path, "
                              "'rb').read()) to split the file",
                os.path.join(d, "gone.csv"): "the str was read as events text, not as a file "
                                             "name: pass a file's bytes (open(path, "
                                             "'rb').read()) to split a file",
                d: "the str was read as events text: the path it names is a directory, which "
                   "split() does not open from a str",
            }
            for text, hint in said.items():
                with self.assertRaises(civic.CivicError) as cm:
                    civic.split(text, 2)
                e = cm.exception
                self.assertEqual((e.code, e.line), (civic.CIVIC_E_SYNTAX, 1), text)
                self.assertEqual(e.message, hint + "; as events: " + header)
                self.assertEqual(str(e), "CIVIC_E_SYNTAX: " + e.message)
            # the bytes of the file split; text that is no path keeps the
            # library's words; a str after a given header is a block of
            # events, no file's name
            with open(path, "rb") as f:
                self.assertGreater(civic.split(f.read(), 2).events, 0)
            with self.assertRaises(civic.CivicError) as cm:
                civic.split("nothing", 2)
            self.assertTrue(cm.exception.message.startswith(header + " (the header is the "
                                                            "whole input"))
            with self.assertRaises(civic.CivicError) as cm:
                civic.split(path, 2, header="id,subject,type,ts\n")
            self.assertNotIn("read as events text", cm.exception.message)

    def test_a_subject_key_in_other_letters_gets_the_engines_words(self):
        # the built-in rules are version 2: the split refuses the key as a
        # load under them does (CIVIC_SPLIT_V2), in the same words; under
        # version-1 rules, or with no rules at all (utc_offset alone), it
        # says both versions' words
        good = b'{"id":"a0","subject":"x","type":"donation","ts":"2022-01-01"}\n'
        self.assertEqual(self.rules.spec_version, 2)
        for key, why in ((b"Subject", 'keys are lower case: write "subject"'),
                         (b"subject ", 'a key has no blanks around it: write "subject"')):
            data = good + b'{"id":"a1","' + key + b'":"x","type":"donation","ts":"2022-01-01"}\n'
            with civic.Engine(self.rules) as engine:
                with self.assertRaises(civic.CivicError) as cm:
                    engine.load(data)
            load = cm.exception
            self.assertEqual((load.code, load.line, load.column),
                             (civic.CIVIC_E_SYNTAX, 2, 12))
            self.assertEqual(load.message, "line 2, column 12: " + why)
            for kw in ({"rules": self.rules}, {}, {"rules": self.rules, "utc_offset": 0}):
                with self.assertRaises(civic.CivicError) as cm:
                    civic.split(data, 2, **kw)
                e = cm.exception
                self.assertEqual((e.code, e.line, e.column, e.message),
                                 (load.code, load.line, load.column, load.message))
            with civic.Rules.from_file(V1_RULES) as v1:
                self.assertEqual(v1.spec_version, 1)
                for kw in ({"rules": v1}, {"utc_offset": 0}):
                    with self.assertRaises(civic.CivicError) as cm:
                        civic.split(data, 2, **kw)
                    e = cm.exception
                    self.assertEqual((e.code, e.line, e.column), (civic.CIVIC_E_SYNTAX, 2, 12))
                    self.assertEqual(e.message,
                                     "line 2, column 12: field 'subject': missing (%s)" % why)

    def test_a_key_a_version_2_load_refuses_is_refused_by_the_split(self):
        # "Qty" alone: a load under version-2 rules refuses it; the split,
        # told the rules, refuses it too (it passed before), and under
        # version-1 rules both take the line
        data = (b'{"id":"a0","subject":"x","type":"donation","ts":"2022-01-01"}\n'
                b'{"id":"a1","subject":"y","type":"donation","ts":"2022-01-01","Qty":5}\n')
        with civic.Engine(self.rules) as engine:
            with self.assertRaises(civic.CivicError) as cm:
                engine.load(data)
        load = cm.exception
        self.assertEqual(load.message, 'line 2, column 62: keys are lower case: write "qty"')
        for kw in ({"rules": self.rules}, {}):
            with self.assertRaises(civic.CivicError) as cm:
                civic.split(data, 3, **kw)
            self.assertEqual((cm.exception.code, cm.exception.line, cm.exception.column,
                              cm.exception.message),
                             (load.code, load.line, load.column, load.message))
        with civic.Rules.from_file(V1_RULES) as v1:
            s = civic.split(data, 3, rules=v1)
            self.assertEqual(s.events, 2)
            with civic.Engine(v1) as engine:
                engine.load(data)
        self.assertEqual(civic.split(data, 3, utc_offset=0).events, 2)
        # said without rules (a worker that has only the offset), or
        # against the rules' own version
        with self.assertRaises(civic.CivicError) as cm:
            civic.split(data, 3, utc_offset=0, spec_version=2)
        self.assertEqual(cm.exception.message, load.message)
        self.assertEqual(civic.split(data, 3, rules=self.rules, spec_version=1).events, 2)
        for bad in (0, 3, True, "2"):
            with self.assertRaises(ValueError):
                civic.split(data, 3, spec_version=bad)
        self.assertEqual(civic._capi.CIVIC_SPLIT_V2, 0x2)

    def test_text_decoded_with_surrogateescape_splits_as_its_bytes(self):
        # a str log read with errors="surrogateescape" (a file that is not
        # all UTF-8) is its bytes again, as Engine.load takes it: the parts
        # are those of the bytes, and a bad line is named by line and column
        raw = b"id,subject,type,ts\na,s\xff,donation,0\nb,t,donation,0\n"
        text = raw.decode("utf-8", "surrogateescape")
        want = civic.split(raw, 2)
        got = civic.split(text, 2)
        self.assertEqual(got, want)
        self.assertIn(b"a,s\xff,donation,0\n", b"".join(got.parts))
        block = b"c,u\xfe,donation,1\n"
        self.assertEqual(civic.split(block.decode("utf-8", "surrogateescape"), 2,
                                     header="id,subject,type,ts\n"),
                         civic.split(block, 2, header=b"id,subject,type,ts\n"))
        for raw in (b'{"id":"a","subject":"s\xff","type":"donation","ts":0}\n',
                    b"id,subject,type,ts\na,s,donation,0\xff\n"):
            with self.assertRaises(civic.CivicError) as cm:
                civic.split(raw, 2)
            want = cm.exception
            with self.assertRaises(civic.CivicError) as cm:
                civic.split(raw.decode("utf-8", "surrogateescape"), 2)
            self.assertEqual((cm.exception.code, cm.exception.line, cm.exception.column,
                              cm.exception.offset, cm.exception.message),
                             (want.code, want.line, want.column, want.offset, want.message))
        # any other lone surrogate is a bad line too, as for load
        with self.assertRaises(civic.CivicError) as cm:
            civic.split('{"id":"a","subject":"s\ud800","type":"donation","ts":0}\n', 2)
        self.assertEqual((cm.exception.code, cm.exception.line, cm.exception.column),
                         (civic.CIVIC_E_SYNTAX, 1, 23))

    def test_arguments(self):
        with self.assertRaises(ValueError):
            civic.split(b"", 0)
        with self.assertRaises(ValueError):
            civic.split(b"", 65537)
        with self.assertRaises(TypeError):
            civic.split(b"", True)
        with self.assertRaises(ValueError):
            civic.split(b"", 2, format="xml")
        with self.assertRaises(ValueError):
            civic.split(b"", 2, key="group")
        with self.assertRaises(TypeError):
            civic.split(42, 2)
        # the message names every type taken, and a format that is no str
        # is a wrong type (a TypeError), an unknown name a wrong value
        for call in (lambda: civic.split(None, 2), lambda: civic.split(b"", 2, header=3),
                     lambda: civic.split_part(None, 2)):
            with self.assertRaises(TypeError) as cm:
                call()
            self.assertIn("must be bytes, bytearray, memoryview, mmap or str, not",
                          str(cm.exception))
        with self.assertRaises(TypeError) as cm:
            civic.split(b"", 2, format=1)
        self.assertEqual(str(cm.exception),
                         "format must be None, 'auto', 'csv', 'jsonl' or 'ndjson' (in any case), "
                         "not int")
        with self.assertRaises(TypeError):
            civic.split(b"", 2, rules="community")
        self.assertEqual(civic.split_part("r1", 1), 0)

    def test_split_part_takes_the_parts_split_takes(self):
        # split_part(k, 100000) named a part no split has (split takes
        # 1..CIVIC_SPLIT_PARTS_MAX): refused as split refuses it
        top = civic._capi.CIVIC_SPLIT_PARTS_MAX
        for bad in (0, -1, top + 1, 1000003, 2 ** 32 - 1, 2 ** 32):
            with self.assertRaisesRegex(ValueError, r"^parts must be 1\.\.65536$") as want:
                civic.split(b"", bad)
            with self.assertRaises(ValueError) as cm:
                civic.split_part("r1", bad)
            self.assertEqual(str(cm.exception), str(want.exception), bad)
        with self.assertRaisesRegex(TypeError, r"^parts must be int$"):
            civic.split_part("r1", 2.0)
        # at the most, the part split puts the subject in; frozen (the C function)
        s = civic.split(b"id,subject,type,ts\ne1,r1,fine,2022-01-01\n", top)
        self.assertEqual(s.part_events.index(1), civic.split_part("r1", top))
        self.assertEqual(civic.split_part(b"r1", top), civic.split_part("r1", top))
        self.assertEqual(civic.split_part("r1", top),
                         civic._capi.lib.civic_split_part(b"r1", 2, top))

    def test_split_part_refuses_a_key_no_event_can_have(self):
        # a NUL: no event's subject or id holds one, and a C string cannot
        # carry it (split_part("r\0", 65536) answered 46748): CIVIC_E_EVENT,
        # also the ValueError; a lone surrogate: CIVIC_E_EVENT, also the
        # UnicodeEncodeError, naming the argument and the offset
        for key, at in (("r\0", 1), ("\0r1", 0)):
            with self.assertRaises(ValueError) as cm:
                civic.split_part(key, 65536)
            self.assertIsInstance(cm.exception, civic.CivicError)
            self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
            self.assertEqual(cm.exception.message, "key: a NUL character at index %d, "
                             "which a C string cannot carry" % at)
            self.assertEqual(key[at], "\0")   # counted from 0, as it says
        with self.assertRaises(UnicodeEncodeError) as cm:
            civic.split_part("r\udcff", 4)
        self.assertIsInstance(cm.exception, civic.CivicError)
        self.assertEqual(cm.exception.code, civic.CIVIC_E_EVENT)
        self.assertEqual(cm.exception.message,
                         "key: a lone surrogate ('\\udcff') at index 1 is not UTF-8 text")
        # bytes are the key's bytes, as before
        self.assertEqual(civic.split_part(b"r1", 4), civic.split_part("r1", 4))

    def test_split_part_refuses_an_empty_long_or_control_key_as_add_does(self):
        # '', 'a\x01' and a 200-byte key were hashed silently, though no
        # event's subject or id can be one (add() and a log refuse them:
        # missing, a control character, longer than 128 bytes): refused as
        # the NUL is, a CivicError and a ValueError naming the key, with the
        # code the library gives such a field (checked in its order: a long
        # key with a control character is too long first)
        for key, code, message in (
                ("", civic.CIVIC_E_EVENT, "key: empty, which no event's subject or id can be"),
                ("a\x01", civic.CIVIC_E_EVENT, "key: a control character ('\\x01') at index "
                 "1, which no event's subject or id can hold"),
                ("ab\x7f", civic.CIVIC_E_EVENT, "key: a control character ('\\x7f') at index "
                 "2, which no event's subject or id can hold"),
                ("\x85r", civic.CIVIC_E_EVENT, "key: a control character ('\\x85') at index "
                 "0, which no event's subject or id can hold"),
                ("a" * 200, civic.CIVIC_E_LIMIT, "key: longer than 128 bytes (200), which no "
                 "event's subject or id can be"),
                ("\u00e9" * 65, civic.CIVIC_E_LIMIT, "key: longer than 128 bytes (130), which "
                 "no event's subject or id can be"),
                ("\x01" * 129, civic.CIVIC_E_LIMIT, "key: longer than 128 bytes (129), which "
                 "no event's subject or id can be")):
            with self.assertRaises(ValueError) as cm:
                civic.split_part(key, 8)
            self.assertIsInstance(cm.exception, civic.CivicError)
            self.assertEqual((cm.exception.code, cm.exception.message), (code, message))
        # as add() refuses the same subject
        with civic.Engine() as e:
            for key, code in (("", civic.CIVIC_E_EVENT), ("a\x01", civic.CIVIC_E_EVENT),
                              ("a" * 200, civic.CIVIC_E_LIMIT)):
                with self.assertRaises(civic.CivicError) as cm:
                    e.add(id="e1", subject=key, type="illegal_parking", ts="2022-01-01")
                self.assertEqual(cm.exception.code, code)
        # what an event can have is hashed: 128 bytes, a blank, not ASCII
        for key in ("a" * 128, "\u00e9" * 64, "r 1", "\u4e00"):
            self.assertEqual(civic.split_part(key, 8),
                             civic._capi.lib.civic_split_part(key.encode(), len(key.encode()), 8))
        # bytes are hashed as they are, unchecked, as the C function takes them
        for key in (b"", b"a\x01", b"a" * 200, b"\xff", b"r\x00"):
            self.assertEqual(civic.split_part(key, 8),
                             civic._capi.lib.civic_split_part(key, len(key), 8), key)
            self.assertEqual(civic.split_part(bytearray(key), 8), civic.split_part(key, 8))


if __name__ == "__main__":
    unittest.main()
