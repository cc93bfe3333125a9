# cmake -P script behind toolgate_add_plugin_test(): serves PLUGIN_DIR with TOOLGATE_EXECUTABLE,
# writes initialize, tools/list and tools/call TOOL to its stdin (a pipe), closes it, and checks
# the answers. toolgate finishes calls in flight before it exits on end of input, so every answer
# is on its stdout when it exits.
foreach(var TOOLGATE_EXECUTABLE PLUGIN_DIR WORK_DIR TOOL SCOPES)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "toolgate plugin test: ${var} is not set")
  endif()
endforeach()
file(READ "${WORK_DIR}/arguments.json" arguments)
file(READ "${WORK_DIR}/expect.txt" expect)

string(REPLACE "," "\",\"" scope_list "${SCOPES}")
file(WRITE "${WORK_DIR}/policy.json"
  "{\"plugins\":{\"directory\":\"${PLUGIN_DIR}\",\"pinsFile\":false},"
  "\"identity\":{\"anonymous\":{\"tenant\":\"plugin-test\",\"scopes\":[\"${scope_list}\"]}},"
  "\"audit\":{\"enabled\":false},\"jobs\":{\"stateDirectory\":\"${WORK_DIR}/state\"}}\n")
file(WRITE "${WORK_DIR}/requests.jsonl"
  "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},\"clientInfo\":{\"name\":\"toolgate-plugin-test\",\"version\":\"1\"}}}\n"
  "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}\n"
  "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}\n"
  "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"${TOOL}\",\"arguments\":${arguments}}}\n")

execute_process(
  COMMAND "${TOOLGATE_EXECUTABLE}" serve --config "${WORK_DIR}/policy.json"
  INPUT_FILE "${WORK_DIR}/requests.jsonl"
  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc TIMEOUT 60)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "toolgate exited with ${rc}\nstderr:\n${err}")
endif()

# One JSON message per line; pick the responses by id.
string(REPLACE ";" "\\;" out "${out}")
string(REPLACE "\n" ";" lines "${out}")
set(list_response "")
set(call_response "")
foreach(line IN LISTS lines)
  if(line STREQUAL "")
    continue()
  endif()
  string(JSON id ERROR_VARIABLE no_id GET "${line}" id)
  if(no_id)
    continue()
  endif()
  if(id EQUAL 2)
    set(list_response "${line}")
  elseif(id EQUAL 3)
    set(call_response "${line}")
  endif()
endforeach()
if(list_response STREQUAL "" OR call_response STREQUAL "")
  message(FATAL_ERROR "toolgate did not answer tools/list and tools/call\nstdout:\n${out}\nstderr:\n${err}")
endif()

string(JSON count ERROR_VARIABLE list_error LENGTH "${list_response}" result tools)
if(list_error)
  message(FATAL_ERROR "tools/list failed: ${list_response}\nstderr:\n${err}")
endif()
set(listed FALSE)
if(count GREATER 0)
  math(EXPR last "${count} - 1")
  foreach(i RANGE ${last})
    string(JSON name GET "${list_response}" result tools ${i} name)
    if(name STREQUAL TOOL)
      set(listed TRUE)
    endif()
  endforeach()
endif()
if(NOT listed)
  message(FATAL_ERROR "tools/list does not show ${TOOL} (is the plugin loaded? see stderr)\n${list_response}\nstderr:\n${err}")
endif()

string(JSON result ERROR_VARIABLE call_error GET "${call_response}" result)
if(call_error)
  message(FATAL_ERROR "tools/call ${TOOL} got a JSON-RPC error: ${call_response}")
endif()
string(JSON is_error ERROR_VARIABLE no_flag GET "${result}" isError)
if(NOT no_flag AND is_error)
  message(FATAL_ERROR "tools/call ${TOOL} returned an error result: ${result}")
endif()
if(NOT expect STREQUAL "")
  # Looked for in the text blocks as the tool wrote them (string(JSON GET) of a string gives it
  # back unescaped, so quotes and non-ASCII text match), then in the result as JSON text.
  set(texts "")
  string(JSON blocks ERROR_VARIABLE no_content LENGTH "${result}" content)
  if(NOT no_content AND blocks GREATER 0)
    math(EXPR last_block "${blocks} - 1")
    foreach(i RANGE ${last_block})
      string(JSON text ERROR_VARIABLE no_text GET "${result}" content ${i} text)
      if(NOT no_text)
        string(APPEND texts "${text}\n")
      endif()
    endforeach()
  endif()
  string(FIND "${texts}" "${expect}" at)
  if(at EQUAL -1)
    string(FIND "${result}" "${expect}" at)
  endif()
  if(at EQUAL -1)
    message(FATAL_ERROR "the result of ${TOOL} does not contain '${expect}'.\nIts text:\n${texts}\nThe whole result:\n${result}")
  endif()
endif()
message(STATUS "${TOOL}: listed and called through ${TOOLGATE_EXECUTABLE}: ${result}")
