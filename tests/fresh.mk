# tests/fresh.mk -- the fresh-machine check (issue 12).
#
#   make check-fresh   `make test` in a fresh clone of the committed HEAD,
#                      as root inside a clean Debian bookworm root built with
#                      debootstrap (cached in /var/tmp/libcivic-fresh; set
#                      FRESH_CACHE= to move it, JOBS=N for make -jN inside,
#                      KEEP=1 to keep the root).  Needs root and debootstrap.
#
# Not part of `make test`: it takes about 13 minutes on 2 cores (most of it
# make test itself; the first run also builds the base root, ~4 minutes, and
# downloads the test packages) and needs Debian's archive.  It proves that
# `make test` needs nothing but the compiler on a fresh machine, because
# `make deps` installs the rest.

.PHONY: check-fresh
check-fresh:
	@sh tests/fresh/check-fresh.sh
