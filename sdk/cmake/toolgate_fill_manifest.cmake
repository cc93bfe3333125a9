# cmake -P script: copy MANIFEST_IN to MANIFEST_OUT with "sha256" and "library" set for LIBRARY.
file(READ "${MANIFEST_IN}" manifest)
file(SHA256 "${LIBRARY}" digest)
get_filename_component(libname "${LIBRARY}" NAME)
string(JSON manifest SET "${manifest}" sha256 "\"${digest}\"")
string(JSON manifest SET "${manifest}" library "\"${libname}\"")
file(WRITE "${MANIFEST_OUT}.tmp" "${manifest}\n")
file(RENAME "${MANIFEST_OUT}.tmp" "${MANIFEST_OUT}")
