# toolgate_add_plugin_test(<plugin-target> TOOL <tool> [NAME <test-name>] [ARGUMENTS <json-object>]
#                          [EXPECT <text>] [SCOPES <scope>...])
#
# Adds a CTest test that runs the real toolgate (TOOLGATE_EXECUTABLE, set by find_package(
# ToolgateSDK) to the installed binary) over pipes with the plugin's output directory as its
# plugin directory, and checks that tools/list shows TOOL and that tools/call TOOL with ARGUMENTS
# (default {}) succeeds and its result contains EXPECT. The caller is an anonymous principal
# granted SCOPES (default: every scope), so the test goes through toolgate's whole policy
# pipeline: manifest and sha256 checks, scope, input and output schema validation.
include_guard(GLOBAL)
set(_TOOLGATE_PLUGIN_TEST_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(toolgate_add_plugin_test target)
  cmake_parse_arguments(TGT "" "TOOL;NAME;ARGUMENTS;EXPECT" "SCOPES" ${ARGN})
  if(NOT TGT_TOOL)
    message(FATAL_ERROR "toolgate_add_plugin_test(${target}): TOOL is required")
  endif()
  if(NOT TGT_NAME)
    set(TGT_NAME "${target}_${TGT_TOOL}")
  endif()
  if(NOT TGT_ARGUMENTS)
    set(TGT_ARGUMENTS "{}")
  endif()
  # Caught here, with the test's name, rather than as a parse error buried in toolgate's output.
  string(JSON arguments_type ERROR_VARIABLE arguments_error TYPE "${TGT_ARGUMENTS}")
  if(arguments_error OR NOT arguments_type STREQUAL "OBJECT")
    message(FATAL_ERROR "toolgate_add_plugin_test(${target}) ${TGT_NAME}: ARGUMENTS must be a JSON object, got "
                        "${TGT_ARGUMENTS} (${arguments_error})")
  endif()
  if(NOT TGT_SCOPES)
    set(TGT_SCOPES "*")
  endif()
  if(NOT TOOLGATE_EXECUTABLE)
    message(FATAL_ERROR "toolgate_add_plugin_test(${target}): TOOLGATE_EXECUTABLE is not set; "
                        "find_package(ToolgateSDK) sets it to the installed toolgate")
  endif()
  get_target_property(plugin_dir ${target} LIBRARY_OUTPUT_DIRECTORY)
  # Arguments and expectations travel in files: JSON and free text survive no command line intact.
  set(work "${CMAKE_CURRENT_BINARY_DIR}/toolgate-tests/${TGT_NAME}")
  file(MAKE_DIRECTORY "${work}")
  file(WRITE "${work}/arguments.json" "${TGT_ARGUMENTS}")
  file(WRITE "${work}/expect.txt" "${TGT_EXPECT}")
  string(REPLACE ";" "," scopes "${TGT_SCOPES}")
  add_test(NAME ${TGT_NAME}
    COMMAND ${CMAKE_COMMAND}
      -DTOOLGATE_EXECUTABLE=${TOOLGATE_EXECUTABLE}
      -DPLUGIN_DIR=${plugin_dir}
      -DWORK_DIR=${work}
      -DTOOL=${TGT_TOOL}
      -DSCOPES=${scopes}
      -P "${_TOOLGATE_PLUGIN_TEST_DIR}/toolgate_plugin_test_driver.cmake")
  set_tests_properties(${TGT_NAME} PROPERTIES TIMEOUT 120)
endfunction()
