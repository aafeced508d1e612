#ifndef CATALOG_BFF_CSTEMMER_SHIM_H
#define CATALOG_BFF_CSTEMMER_SHIM_H

// Snowball stemmers for search: Russian and English word forms (Debian: libstemmer-dev).
#include <libstemmer.h>

#endif
