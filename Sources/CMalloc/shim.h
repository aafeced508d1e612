#ifndef CATALOG_BFF_CMALLOC_SHIM_H
#define CATALOG_BFF_CMALLOC_SHIM_H

// glibc's allocator controls (malloc.h is not part of Swift's Glibc module).
#include <malloc.h>

#endif
