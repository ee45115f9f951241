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
CRYPTO_LIBS := $(shell $(PKG_CONFIG) --libs libcrypto 2>/dev/null || echo -lcrypto)
COMPRESS_LIBS := $(shell $(PKG_CONFIG) --libs zlib liblzma libzstd 2>/dev/null || echo -lz -llzma -lzstd)
ALL_CFLAGS := -std=gnu11 $(WARN) $(CFLAGS) $(CRYPTO_CFLAGS) -pthread \
	-DMODSIGN_DATADIR='"$(DATADIR)"' -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
LIBS := $(CRYPTO_LIBS) $(COMPRESS_LIBS) -pthread

SRCS := $(sort $(wildcard signer/*.c))
HDRS := $(wildcard signer/*.h)
OBJS := $(SRCS:signer/%.c=$(BUILD)/obj/%.o)
SAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SAN_OBJS := $(SRCS:signer/%.c=$(BUILD)/san/%.o)

.PHONY: all asan check demo install clean fixtures shellcheck test deps
all: $(BUILD)/modsign $(BUILD)/sign-file

$(BUILD)/obj/%.o: signer/%.c $(HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/modsign: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $(OBJS) $(LIBS)

$(BUILD)/sign-file: $(BUILD)/modsign
	ln -sf modsign $@

# AddressSanitizer + UndefinedBehaviorSanitizer build, run by 'make check'.
asan: $(BUILD)/asan/modsign
$(BUILD)/san/%.o: signer/%.c $(HDRS) Makefile
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -O1 $(SAN_FLAGS) -c -o $@ $<
$(BUILD)/asan/modsign: $(SAN_OBJS)
	@mkdir -p $(@D)
	$(CC) $(SAN_FLAGS) -o $@ $(SAN_OBJS) $(LIBS)
	ln -sf modsign $(BUILD)/asan/sign-file

# The demo module, built with Kbuild against installed kernel headers.
fixtures:
	@test/build-fixtures $(BUILD)

deps:
	@scripts/check-deps

shellcheck:
	shellcheck -x $$(scripts/list-shell-scripts)

check: deps all asan fixtures
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

clean:
	rm -rf $(BUILD)
