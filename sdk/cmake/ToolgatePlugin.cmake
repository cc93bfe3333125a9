# toolgate_add_plugin(<target> SOURCES <files...> MANIFEST <manifest.json> [OUTPUT_DIR <dir>])
#
# Builds a plugin shared library with hidden visibility (only the entry macro exports) and,
# after every link, writes a copy of the manifest beside the library with "sha256" set to the
# library's digest, so the host's integrity check passes for exactly this build.
include_guard(GLOBAL)
set(_TOOLGATE_PLUGIN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(toolgate_add_plugin target)
  cmake_parse_arguments(TGP "" "MANIFEST;OUTPUT_DIR" "SOURCES" ${ARGN})
  if(NOT TGP_SOURCES)
    message(FATAL_ERROR "toolgate_add_plugin(${target}): SOURCES is required")
  endif()
  if(NOT TGP_MANIFEST)
    message(FATAL_ERROR "toolgate_add_plugin(${target}): MANIFEST is required")
  endif()
  if(NOT TGP_OUTPUT_DIR)
    set(TGP_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/plugins")
  endif()
  get_filename_component(manifest_abs "${TGP_MANIFEST}" ABSOLUTE)
  get_filename_component(manifest_name "${TGP_MANIFEST}" NAME)

  add_library(${target} MODULE ${TGP_SOURCES})
  target_link_libraries(${target} PRIVATE Toolgate::SDK)
  set_target_properties(${target} PROPERTIES
    PREFIX "lib" SUFFIX ".so"
    CXX_VISIBILITY_PRESET hidden C_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON
    LIBRARY_OUTPUT_DIRECTORY "${TGP_OUTPUT_DIR}")
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND ${CMAKE_COMMAND}
      -DLIBRARY=$<TARGET_FILE:${target}>
      -DMANIFEST_IN=${manifest_abs}
      -DMANIFEST_OUT=${TGP_OUTPUT_DIR}/${manifest_name}
      -P "${_TOOLGATE_PLUGIN_CMAKE_DIR}/toolgate_fill_manifest.cmake"
    VERBATIM)
  set_property(TARGET ${target} APPEND PROPERTY LINK_DEPENDS "${manifest_abs}")
  set_property(TARGET ${target} PROPERTY TOOLGATE_MANIFEST "${TGP_OUTPUT_DIR}/${manifest_name}")
endfunction()
