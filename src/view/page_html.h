/* SPDX-License-Identifier: BSD-2-Clause-Patent */
/* The step-through page template (page.html, embedded at build time). */
#ifndef DXEMEM_VIEW_PAGE_HTML_H
#define DXEMEM_VIEW_PAGE_HTML_H
extern const char *const view_page_html;
#endif
