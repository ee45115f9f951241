/* SPDX-License-Identifier: MIT */
/* strip: placeholder until implemented. */
#include "commands.h"
#include "util.h"

int cmd_strip(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	util_err("strip: not implemented yet");
	return EXIT_ERR;
}
