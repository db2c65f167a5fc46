// sum_duckdb.mjs -- weighted sum per subject with DuckDB (a baseline of
// bench/run.py), through @duckdb/node-api from npm (`make bench-setup`
// installs it into bench/node_modules; `make test` never needs it).
//
// Usage: node sum_duckdb.mjs WEIGHTS.csv EVENTS.csv [THREADS] > OUT
//   WEIGHTS.csv: header, then type,points_hundredths,unit (unit 1: points x qty)
//   EVENTS.csv:  a header naming at least subject, type and qty (both the
//                default and the lean log of bench/gen)
// Prints subject,sum in hundredths of a point, one line per subject,
// unsorted; on standard error "duckdb query s: X" (the query alone, without
// node's and DuckDB's start).  read_csv + join with the weights + GROUP BY
// subject, THREADS threads (default 2).  Caps, validity and the rest are
// ignored: a floor, not a scorer.
import { DuckDBInstance } from '@duckdb/node-api';

const [weights, events, threads = '2'] = process.argv.slice(2);
if (!weights || !events) {
  process.stderr.write('usage: node sum_duckdb.mjs WEIGHTS.csv EVENTS.csv [THREADS]\n');
  process.exit(1);
}
const quote = (s) => "'" + s.replace(/'/g, "''") + "'";
const instance = await DuckDBInstance.create(':memory:', { threads: String(threads) });
const conn = await instance.connect();
const sql = `
SELECT e.subject AS subject,
       SUM(CASE WHEN w.unit = 1 THEN w.points * e.qty ELSE w.points END) AS total
  FROM read_csv(${quote(events)}, header = true,
                types = {'subject': 'VARCHAR', 'type': 'VARCHAR', 'qty': 'BIGINT'}) AS e
  JOIN read_csv(${quote(weights)}, header = true,
                types = {'type': 'VARCHAR', 'points': 'BIGINT', 'unit': 'BIGINT'}) AS w
    ON w.type = e.type
 GROUP BY e.subject`;
const t0 = process.hrtime.bigint();
const reader = await conn.runAndReadAll(sql);
const rows = reader.getRows();
const t1 = process.hrtime.bigint();
const out = [];
for (const [subject, total] of rows) out.push(`${subject},${total}\n`);
process.stdout.write(out.join(''));
process.stderr.write(`duckdb query s: ${(Number(t1 - t0) / 1e9).toFixed(4)}\n`);
