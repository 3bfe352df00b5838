/* A decoy: dxemem's targets must never put the consumer's include/ on the
 * include path. */
#error "the consumer's include/dxemem/dxemem.h was used instead of dxemem's"
