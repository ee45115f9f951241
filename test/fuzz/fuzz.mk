# libFuzzer harnesses for the parsers of untrusted bytes (test/fuzz/).
# Included by the top Makefile; uses its SRCS, HDRS, ALL_CFLAGS, LIBS, BUILD.
#   make fuzz-smoke   each harness for 20 s or 200000 runs (CI)
#   make fuzz         each harness for 10 million runs (the documented long run)
FUZZ_CC ?= clang
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS := $(filter-out -Werror,$(ALL_CFLAGS)) -O1 -g $(FUZZ_SAN) -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION
FUZZ_NAMES := trailer cms sigparse compress template p11uri
FUZZ_OBJS := $(filter-out $(BUILD)/fuzz/obj/main.o,$(SRCS:signer/%.c=$(BUILD)/fuzz/obj/%.o))
FUZZ_BINS := $(FUZZ_NAMES:%=$(BUILD)/fuzz/fuzz_%)

$(BUILD)/fuzz/obj/%.o: signer/%.c $(HDRS) test/fuzz/fuzz.mk $(BUILD)/config.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -c -o $@ $<
$(BUILD)/fuzz/fuzz_%: test/fuzz/fuzz_%.c test/fuzz/fuzz_common.h $(FUZZ_OBJS)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -Isigner -o $@ $< $(FUZZ_OBJS) $(LIBS) $(COMPRESS_LIBS)

.PHONY: fuzz fuzz-smoke fuzz-bins
fuzz-bins: $(FUZZ_BINS)
fuzz-smoke: fuzz-bins
	test/fuzz/run --smoke $(BUILD)/fuzz
fuzz: fuzz-bins
	test/fuzz/run --long $(BUILD)/fuzz
