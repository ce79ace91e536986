# Warnings, warnings-as-errors and sanitizers, applied per target (never globally) so that
# third-party code is not held to our flags.
set(SIREN_WARNING_FLAGS
  -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wdouble-promotion
  -Wformat=2 -Wvla -Wpointer-arith
  # Messages are cut to their buffers on purpose; a truncated error message is still useful.
  -Wno-format-truncation)

function(siren_target_flags target)
  target_compile_options(${target} PRIVATE ${SIREN_WARNING_FLAGS})
  if(SIREN_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
  if(SIREN_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined -fno-omit-frame-pointer
                                             -fno-sanitize-recover=undefined)
    target_link_options(${target} PUBLIC -fsanitize=address,undefined)
  endif()
endfunction()

# siren_module(NAME DIR): one static library per folder from the folder's .c files.
function(siren_module name)
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.c)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  siren_target_flags(${name})
endfunction()
