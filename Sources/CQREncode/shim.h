#ifndef CATALOG_BFF_CQRENCODE_SHIM_H
#define CATALOG_BFF_CQRENCODE_SHIM_H

// QR codes of passport links (Debian: libqrencode-dev).
#include <qrencode.h>

#endif
