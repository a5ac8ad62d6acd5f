# SPDX-License-Identifier: GPL-2.0-only
#
# The example program (examples/<name>.c, linked with the library of the
# build tree).  Included by the top-level Makefile; the rig adds its demo
# and bench programs to `examples` (tools/rig/rig.mk).

.PHONY: examples

EXAMPLES := $(patsubst examples/%.c,$(BUILD)/examples/%,$(wildcard examples/*.c))

examples: $(EXAMPLES) ## the example program, the demo and bench programs

$(BUILD)/examples/%: examples/%.c $(LIB_SO)
	@mkdir -p $(dir $@)
	$(LINK_WITH_LIB)
