#ifndef CATALOG_BFF_CLIBXML2_SHIM_H
#define CATALOG_BFF_CLIBXML2_SHIM_H

// Debian builds libxml2 with ICU; its headers would then pull in the system's ICU
// headers, which clash with the ICU copy inside Foundation. The sanitizer never touches
// the ICU converter fields those headers describe, so leave them out.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <libxml/xmlmemory.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlwriter.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <libxml/xmlschemas.h>
#include <libxml/valid.h>

// `xmlFree` is a global function pointer; Swift 6 treats it as shared mutable state.
// Free libxml2 memory through this function instead.
static inline void cbff_xml_free(void *pointer) {
    xmlFree(pointer);
}


#endif
