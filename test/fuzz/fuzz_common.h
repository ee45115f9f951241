/* SPDX-License-Identifier: MIT */
/* Shared bits of the libFuzzer harnesses (test/fuzz/run builds them). */
#ifndef MODSIGN_FUZZ_COMMON_H
#define MODSIGN_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#endif
