/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* Between the host instance and the host CPU model (guard.c). */
#ifndef DXEMEM_HOST_INTERNAL_H
#define DXEMEM_HOST_INTERNAL_H

#include "dxemem/host.h"

/* A CPU model for region; rewires *hosted (callbacks, contexts) so that
 * the model sees the heap guard's calls and the caller's callbacks still
 * run. NULL when out of memory. */
struct dxemem_host_cpu *dxemem_host_cpu_new(const dxemem_host_region *region,
                                            dxemem_config *hosted);
void dxemem_host_cpu_attach(struct dxemem_host_cpu *cpu, dxemem *allocator);
void dxemem_host_cpu_free(struct dxemem_host_cpu *cpu);

#endif /* DXEMEM_HOST_INTERNAL_H */
