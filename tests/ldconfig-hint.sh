#!/bin/sh
# tests/ldconfig-hint.sh DESTDIR LIBDIR -- the last step of `make install`.
# Installing for real (no DESTDIR) as root into a directory the dynamic
# loader searches: run ldconfig, so libcivic.so.1 is found at once.
# Otherwise, when LIBDIR is not one the loader searches, say how to make
# programs find the library.  Never fails the install.
destdir=$1
libdir=$2
ldconfig=$(command -v ldconfig || echo /sbin/ldconfig)
# The directories the loader searches: those ldconfig scans (ld.so.conf and
# the trusted /lib, /usr/lib ...), as "DIR:" lines of ldconfig -v -N, plus
# the ones it skips as given twice; compared after resolving symbolic links
# (with a merged /usr, /usr/lib/x86_64-linux-gnu is /lib/x86_64-linux-gnu).
searched=$("$ldconfig" -v -N -X 2>&1 | sed -n -e 's|^\(/[^:]*\):.*|\1|p' \
    -e "s|.*Path \`\(/[^']*\)' given more than once.*|\1|p")
canon() { readlink -f "$1" 2>/dev/null || echo "$1"; }
want=$(canon "$libdir")
in_path=no
for d in $searched /lib /usr/lib; do
    [ "$(canon "$d")" = "$want" ] && in_path=yes
done
if [ -z "$destdir" ] && [ "$(id -u)" = 0 ] && [ $in_path = yes ]; then
    echo "$ldconfig"
    "$ldconfig" || echo "make install: ldconfig failed; run it yourself" >&2
elif [ $in_path = no ]; then
    echo "make install: note: $libdir is not in the dynamic loader's search path, so programs"
    echo "  linked with -lcivic will not find libcivic.so.1 there.  Either add it once:"
    echo "    echo $libdir | sudo tee /etc/ld.so.conf.d/libcivic.conf && sudo ldconfig"
    echo "  or run programs with LD_LIBRARY_PATH=$libdir (or link with -Wl,-rpath,$libdir)."
elif [ -n "$destdir" ]; then
    echo "make install: staged in $destdir; run ldconfig after copying into place."
else
    echo "make install: run 'sudo ldconfig' so the loader sees libcivic.so.1."
fi
exit 0
