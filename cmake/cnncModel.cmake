# cnncModel.cmake - cnnc_add_model(): compile an ONNX model into a target's sources.
#
#   cnnc_add_model(TARGET app NAME P MODEL file.onnx
#                  [OPTIONS cnnc-option...] [DEPENDS file...])
#
# At build time runs `cnnc OPTIONS... --name P MODEL -o P.c` into
# ${CMAKE_CURRENT_BINARY_DIR}/cnnc/P/, adds P.c to TARGET's sources, that folder
# to its include path (#include "P.h") and libm to its link libraries. The C is
# regenerated when MODEL, a DEPENDS file (external data, --input-value tensors) or
# the cnnc executable changes. A relative MODEL is relative to the current source
# folder. With --weights=file in OPTIONS, cnnc also writes P.bin there, and
# P_WEIGHTS_FILE is set in the caller's scope to its path.
#
# The cnnc used is the imported target cnnc::cnnc, or the CNNC_EXECUTABLE variable
# when it is set (a cnnc built elsewhere).
function(cnnc_add_model)
  cmake_parse_arguments(PARSE_ARGV 0 ARG "" "TARGET;NAME;MODEL" "OPTIONS;DEPENDS")
  foreach(req TARGET NAME MODEL)
    if(NOT ARG_${req})
      message(FATAL_ERROR "cnnc_add_model: ${req} is required")
    endif()
  endforeach()
  if(ARG_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "cnnc_add_model: unknown arguments ${ARG_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT TARGET ${ARG_TARGET})
    message(FATAL_ERROR "cnnc_add_model: no target named ${ARG_TARGET}")
  endif()
  if(NOT ARG_NAME MATCHES "^[A-Za-z_][A-Za-z0-9_]*$")
    message(FATAL_ERROR "cnnc_add_model: NAME ${ARG_NAME} is not a C identifier")
  endif()
  if(CNNC_EXECUTABLE)
    set(exe "${CNNC_EXECUTABLE}")
    set(exe_file "${CNNC_EXECUTABLE}")
  elseif(TARGET cnnc::cnnc)
    set(exe cnnc::cnnc)
    set(exe_file "$<TARGET_FILE:cnnc::cnnc>")
  else()
    message(FATAL_ERROR "cnnc_add_model: no cnnc (find_package(cnnc) or set CNNC_EXECUTABLE)")
  endif()
  get_filename_component(model "${ARG_MODEL}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  set(dir "${CMAKE_CURRENT_BINARY_DIR}/cnnc/${ARG_NAME}")
  set(outputs "${dir}/${ARG_NAME}.c" "${dir}/${ARG_NAME}.h")
  # --weights=file or --weights file: P.bin is an output too
  set(file_mode OFF)
  set(prev "")
  foreach(opt IN LISTS ARG_OPTIONS)
    if(opt STREQUAL "--weights=file" OR (prev STREQUAL "--weights" AND opt STREQUAL "file"))
      set(file_mode ON)
    elseif(opt STREQUAL "--weights=embed" OR (prev STREQUAL "--weights" AND opt STREQUAL "embed"))
      set(file_mode OFF)
    endif()
    set(prev "${opt}")
  endforeach()
  if(file_mode)
    list(APPEND outputs "${dir}/${ARG_NAME}.bin")
    set(${ARG_NAME}_WEIGHTS_FILE "${dir}/${ARG_NAME}.bin" PARENT_SCOPE)
  endif()
  add_custom_command(
    OUTPUT ${outputs}
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${dir}"
    COMMAND ${exe} ${ARG_OPTIONS} --name ${ARG_NAME} "${model}" -o "${dir}/${ARG_NAME}.c"
    DEPENDS "${model}" "${exe_file}" ${ARG_DEPENDS}
    COMMENT "cnnc: ${ARG_MODEL} -> ${ARG_NAME}.c"
    VERBATIM)
  target_sources(${ARG_TARGET} PRIVATE "${dir}/${ARG_NAME}.c" "${dir}/${ARG_NAME}.h")
  target_include_directories(${ARG_TARGET} PRIVATE "${dir}")
  if(NOT MSVC)
    target_link_libraries(${ARG_TARGET} PRIVATE m)
  endif()
endfunction()
