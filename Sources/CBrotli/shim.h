#ifndef CATALOG_BFF_CBROTLI_SHIM_H
#define CATALOG_BFF_CBROTLI_SHIM_H

// The encoder makes the variants; the decoder is for tests that check them.
#include <brotli/encode.h>
#include <brotli/decode.h>

#endif
