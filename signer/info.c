/* SPDX-License-Identifier: MIT */
/* info: placeholder until implemented. */
#include "commands.h"
#include "util.h"

int cmd_info(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	util_err("info: not implemented yet");
	return EXIT_ERR;
}
