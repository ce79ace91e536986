# Writes OUT (build_info.c) with the current git commit of SRC; rewrites only on change so
# that nothing recompiles needlessly.
execute_process(COMMAND git -C "${SRC}" rev-parse HEAD
                OUTPUT_VARIABLE commit OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR commit STREQUAL "")
  set(commit "unknown")
endif()
execute_process(COMMAND git -C "${SRC}" status --porcelain --untracked-files=no
                OUTPUT_VARIABLE dirty OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
if(NOT dirty STREQUAL "")
  set(commit "${commit}-dirty")
endif()
set(SIREN_GIT_COMMIT "${commit}")
configure_file("${SRC}/core/build_info.c.in" "${OUT}.new" @ONLY)
file(READ "${OUT}.new" new_text)
if(EXISTS "${OUT}")
  file(READ "${OUT}" old_text)
else()
  set(old_text "")
endif()
if(NOT new_text STREQUAL old_text)
  file(WRITE "${OUT}" "${new_text}")
endif()
file(REMOVE "${OUT}.new")
