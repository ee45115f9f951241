/* SPDX-License-Identifier: MIT */
/* commands: the subcommands of modsign, each in its own file. */
#ifndef MODSIGN_COMMANDS_H
#define MODSIGN_COMMANDS_H

/* argv[0] is the subcommand name; each returns an EXIT_* code. */
int signfile_main(int argc, char **argv); /* signfile.c: the sign-file command line */
int cmd_keygen(int argc, char **argv);    /* keygen.c */
int cmd_verify(int argc, char **argv);    /* verify.c */
int cmd_info(int argc, char **argv);      /* info.c */
int cmd_strip(int argc, char **argv);     /* strip.c */
int cmd_sign(int argc, char **argv);      /* sign.c */
int cmd_status(int argc, char **argv);    /* status.c */
int cmd_enroll(int argc, char **argv);    /* enroll.c */
int cmd_digest(int argc, char **argv);    /* digest.c */
int cmd_attach(int argc, char **argv);    /* attach.c */

#endif
