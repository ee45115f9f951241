# modsign.mk - make an external module's `make modules_install` sign with
# modsign's managed key.  See kbuild/README.md.
#
# In the module's own Makefile (the part outside Kbuild), include this file
# and add $(MODSIGN_KBUILD_ARGS) to the Kbuild modules_install command:
#
#   include /usr/local/share/modsign/modsign.mk
#   modules_install:
#   	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install $(MODSIGN_KBUILD_ARGS)
#
# MODSIGN_KBUILD_ARGS puts cmd_sign and quiet_cmd_sign on Kbuild's command
# line; there they win over scripts/Makefile.modinst's definitions (which
# call scripts/sign-file with the kernel tree's key, `|| true` for external
# modules), so Kbuild runs, for each installed module, after copying and
# stripping it and before compressing it:
#   $(MODSIGN) sign -q $(MODSIGN_SIGN_FLAGS) --kernel-dir <kernel tree> <module>
# A module modsign cannot sign fails the install (make deletes the copy).
#
# Variables (set them before the include, or on make's command line):
#   MODSIGN             the modsign binary (default: modsign on PATH, else
#                       /usr/local/bin/modsign)
#   MODSIGN_SIGN_FLAGS  more options for `modsign sign`, e.g. --hash sha512;
#                       they reach the recipe's shell as written, inside
#                       single quotes: put a pkcs11: URI in double quotes,
#                       --key "pkcs11:token=T;object=K" (or set key = in
#                       /etc/modsign.conf)
#   MODSIGN_KEY_DIR, KBUILD_SIGN_PIN in the environment reach modsign.
# The file defines nothing else, and nothing at all when Kbuild reads the
# Makefile again (KERNELRELEASE set).

ifeq ($(KERNELRELEASE),)
ifeq ($(origin MODSIGN),undefined)
MODSIGN := $(or $(shell command -v modsign 2>/dev/null),/usr/local/bin/modsign)
endif
MODSIGN_SIGN_FLAGS ?=
# $$ survives this Makefile's expansion: Kbuild's make expands $(objtree) and
# $@ for each module.
MODSIGN_KBUILD_ARGS = 'quiet_cmd_sign=MODSIGN $$@' \
	'cmd_sign=$(MODSIGN) sign -q $(MODSIGN_SIGN_FLAGS) --kernel-dir $$(abspath $$(objtree)) $$@'
endif
