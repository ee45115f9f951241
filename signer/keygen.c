/* SPDX-License-Identifier: MIT */
/* keygen: placeholder until implemented. */
#include "commands.h"
#include "util.h"

int cmd_keygen(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	util_err("keygen: not implemented yet");
	return EXIT_ERR;
}
