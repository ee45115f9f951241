# modsign - sign Linux kernel modules.  See README.md.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
DATADIR ?= $(PREFIX)/share/modsign
MANDIR ?= $(PREFIX)/share/man
DESTDIR ?=

CC ?= cc
PKG_CONFIG ?= pkg-config
BUILD ?= build
CFLAGS ?= -O2 -g
WARN := -Wall -Wextra -Werror
CRYPTO_CFLAGS := $(shell $(PKG_CONFIG) --cflags libcrypto 2>/dev/null)
# <p11-kit/pkcs11.h> only: PKCS#11 modules are dlopen'ed, nothing is linked.
P11_CFLAGS := $(shell $(PKG_CONFIG) --cflags p11-kit-1 2>/dev/null || echo -I/usr/include/p11-kit-1)
CRYPTO_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
COMPRESS_LIBS := $(shell $(PKG_CONFIG) --libs zlib liblzma libzstd 2>/dev/null || echo -lz -llzma -lzstd)
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(CRYPTO_CFLAGS) $(P11_CFLAGS) -pthread \
	-include $(BUILD)/config.h -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
LIBS := $(CRYPTO_LIBS) -pthread

SRCS := $(sort $(wildcard signer/*.c))
HDRS := $(wildcard signer/*.h)
OBJS := $(SRCS:signer/%.c=$(BUILD)/obj/%.o)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS := $(SRCS:signer/%.c=$(BUILD)/san/%.o)

# (FORCE is phony too)
.PHONY: FORCE bench bench-short check-kernel all asan check demo install install-dkms clean fixtures shellcheck test deps test-bins
all: $(BUILD)/modsign $(BUILD)/sign-file

# Installation paths compiled in; rewritten only when they change, so that
# `make install PREFIX=/usr` rebuilds what depends on them.
$(BUILD)/config.h: FORCE
	@mkdir -p $(@D)
	@printf '#define MODSIGN_DATADIR "%s"\n' '$(DATADIR)' >$@.new
	@cmp -s $@.new $@ && rm $@.new || mv $@.new $@
FORCE:

$(BUILD)/obj/%.o: signer/%.c $(HDRS) Makefile $(BUILD)/config.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/modsign: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/sign-file: $(BUILD)/modsign
	ln -sf modsign $@

# AddressSanitizer + UndefinedBehaviorSanitizer build, run by 'make check'.
asan: $(BUILD)/asan/modsign
$(BUILD)/san/%.o: signer/%.c $(HDRS) Makefile $(BUILD)/config.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c -o $@ $<
$(BUILD)/asan/modsign: $(SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_OBJS) $(LIBS)
	ln -sf modsign $(BUILD)/asan/sign-file

# Unit tests of signer/compress.c (test/compress.bats runs them): the test
# program links every signer object but main.o.  build/asan/test-compress is
# the sanitizer variant, used when MODSIGN_BIN is build/asan/modsign.
LIB_OBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
SAN_LIB_OBJS := $(filter-out $(BUILD)/san/main.o,$(SAN_OBJS))
test-bins: $(BUILD)/test-compress $(BUILD)/asan/test-compress $(BUILD)/test-key $(BUILD)/asan/test-key \
	$(BUILD)/sync-hook.so $(BUILD)/rand-log.so
$(BUILD)/test-compress: test/c/test_compress.c test/c/tap.h $(LIB_OBJS) $(HDRS) Makefile
	$(CC) $(ALL_CFLAGS) -Isigner $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) $(COMPRESS_LIBS)
$(BUILD)/asan/test-compress: test/c/test_compress.c test/c/tap.h $(SAN_LIB_OBJS) $(HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Isigner $(LDFLAGS) -o $@ $< $(SAN_LIB_OBJS) $(LIBS) $(COMPRESS_LIBS)
# Unit tests of key_load_private() in signer/key.c (test/keys.bats runs them),
# built the same way.
$(BUILD)/test-key: test/c/test_key.c test/c/tap.h $(LIB_OBJS) $(HDRS) Makefile
	$(CC) $(ALL_CFLAGS) -Isigner $(LDFLAGS) -o $@ $< $(LIB_OBJS) $(LIBS) $(COMPRESS_LIBS)
$(BUILD)/asan/test-key: test/c/test_key.c test/c/tap.h $(SAN_LIB_OBJS) $(HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -Isigner $(LDFLAGS) -o $@ $< $(SAN_LIB_OBJS) $(LIBS) $(COMPRESS_LIBS)
# LD_PRELOAD shim that runs a command before the first fsync or syncfs (test/crash.bats).
$(BUILD)/sync-hook.so: test/c/sync_hook.c Makefile
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -shared -fPIC $(LDFLAGS) -o $@ $< -ldl
# LD_PRELOAD shim that logs the random generators OpenSSL is asked for (test/signfile.bats).
$(BUILD)/rand-log.so: test/c/rand_log.c Makefile
	@mkdir -p $(@D)
	$(CC) -std=gnu11 $(WARN) $(CFLAGS) -D_GNU_SOURCE -shared -fPIC $(LDFLAGS) -o $@ $< -ldl

# libFuzzer harnesses (test/fuzz/README.md): fuzz-bins, fuzz-smoke, fuzz.
include test/fuzz/fuzz.mk

# The demo module, built with Kbuild against installed kernel headers.
fixtures:
	@test/build-fixtures $(BUILD)

deps:
	@scripts/check-deps

shellcheck:
	shellcheck -x $$(scripts/list-shell-scripts)

check: deps all asan test-bins fixtures
	@scripts/run-tests $(BUILD)

test: check

demo: deps all fixtures
	@scripts/demo $(BUILD)

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(BUILD)/modsign $(DESTDIR)$(BINDIR)/modsign
	ln -sf modsign $(DESTDIR)$(BINDIR)/sign-file
	install -m 0644 x509/*.genkey $(DESTDIR)$(DATADIR)/
	install -m 0644 man/modsign.1 $(DESTDIR)$(MANDIR)/man1/modsign.1
	install -m 0755 kbuild/modsign-modules-install $(DESTDIR)$(BINDIR)/modsign-modules-install
	install -m 0644 kbuild/modsign.mk $(DESTDIR)$(DATADIR)/modsign.mk
	install -d $(DESTDIR)$(DATADIR)/dkms-hooks/framework.conf.d
	install -m 0755 dkms-hooks/modsign-post-build $(DESTDIR)$(DATADIR)/dkms-hooks/modsign-post-build
	install -m 0644 dkms-hooks/framework.conf.d/modsign.conf $(DESTDIR)$(DATADIR)/dkms-hooks/framework.conf.d/modsign.conf

# DKMS signs every module with modsign's managed key (see dkms-hooks/README.md).
# The key is created first, so that DKMS never generates its own over it.
install-dkms: install
	test -n "$(DESTDIR)" || test -e /var/lib/modsign/signing_key.pem || $(BINDIR)/modsign keygen /var/lib/modsign
	install -d $(DESTDIR)/etc/dkms/framework.conf.d
	sed 's|/usr/local/bin/modsign|$(BINDIR)/modsign|g' dkms-hooks/framework.conf.d/modsign.conf >$(DESTDIR)/etc/dkms/framework.conf.d/modsign.conf
	chmod 0644 $(DESTDIR)/etc/dkms/framework.conf.d/modsign.conf

# End to end with a real Linux 6.1 kernel under QEMU (test/kernel.bats,
# test/qemu/README.md); also part of 'make check'.  The first run builds the
# kernel into ~/.cache/modsign (minutes); later runs only boot.
check-kernel: deps all
	@SUITES=test/kernel.bats scripts/run-tests $(BUILD)

# Performance benchmark of issue 5 (not a test; see bench/README.md).
bench: all
	MODSIGN_BIN=$(BUILD)/modsign bench/run
bench-short: all
	MODSIGN_BIN=$(BUILD)/modsign bench/run --short

clean:
	rm -rf $(BUILD)
