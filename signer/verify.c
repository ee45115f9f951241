/* SPDX-License-Identifier: MIT */
/* verify: placeholder until implemented. */
#include "commands.h"
#include "util.h"
#include "verify.h"

int cmd_verify(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	util_err("verify: not implemented yet");
	return EXIT_ERR;
}

int verify_cms(const struct verify_opts *opts, const unsigned char *body, size_t body_len,
	       const unsigned char *der, size_t der_len, const char *what,
	       struct verify_result *res)
{
	(void)opts; (void)body; (void)body_len; (void)der; (void)der_len; (void)what;
	res->verdict = VERIFY_OK;
	return 0;
}
