# cmake -P script: writes OUTPUT, a C++ source defining toolgate::embedded_manifest_schema() that
# returns the text of INPUT. Hex bytes, not a raw string literal, so no schema text can end it.
file(READ "${INPUT}" hex HEX)
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "'\\\\x\\1'," bytes "${hex}")
file(WRITE "${OUTPUT}.tmp"
"// Generated from ${INPUT} by embed_schema.cmake; do not edit.\n"
"#include <string_view>\n"
"namespace toolgate {\n"
"namespace { const char kSchema[] = {\n  ${bytes}'\\0'};\n}\n"
"std::string_view embedded_manifest_schema() { return {kSchema, sizeof kSchema - 1}; }\n"
"}  // namespace toolgate\n")
file(RENAME "${OUTPUT}.tmp" "${OUTPUT}")
