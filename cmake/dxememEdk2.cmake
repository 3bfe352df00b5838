# The edk2 drop-in (DxememBootServicesLib) compiled inside the consumer's
# build, against the consumer's own edk2 headers:
#
#   dxemem_add_edk2_boot_services(NAME EDK2_DIR <edk2 tree> [EFIAPI <def>])
#
# makes a static library NAME from the C files in the [Sources] of
# DxememPkg's DxememBootServicesLib.inf (one list for both builds) that
# links dxemem::host and passes on what edk2's headers need: the include
# paths MdePkg/Include and MdePkg/Include/<X64|AArch64>, -fshort-wchar, and
# EFIAPI when given (e.g. "__attribute__((ms_abi))" as edk2's GCC X64
# builds use; every file of the test must then be built with it, which
# linking NAME takes care of). Included by dxememConfig.cmake and by the
# dxemem build itself.
# dxememConfig.cmake sets DXEMEM_EDK2_PKG_DIR to the installed DxememPkg;
# in dxemem's own build it is the source tree's.
if(NOT DXEMEM_EDK2_PKG_DIR)
  set(DXEMEM_EDK2_PKG_DIR "${CMAKE_CURRENT_LIST_DIR}/../integrations/edk2/DxememPkg")
endif()

# The MdePkg/Include/<arch> directory for this host.
function(dxemem_edk2_arch_dir result)
  if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64)$")
    set(${result} X64 PARENT_SCOPE)
  elseif(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64|ARM64)$")
    set(${result} AArch64 PARENT_SCOPE)
  else()
    message(FATAL_ERROR "dxemem edk2 drop-in: no edk2 ProcessorBind.h for "
                        "${CMAKE_SYSTEM_PROCESSOR}")
  endif()
endfunction()

# The .c files of an INF's [Sources] section, as absolute paths.
function(dxemem_edk2_inf_sources inf result)
  get_filename_component(dir "${inf}" DIRECTORY)
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${inf}")
  file(STRINGS "${inf}" lines)
  set(in_sources FALSE)
  set(sources "")
  foreach(line IN LISTS lines)
    string(STRIP "${line}" line)
    if(line MATCHES "^\\[")
      string(TOLOWER "${line}" section)
      if(section STREQUAL "[sources]")
        set(in_sources TRUE)
      else()
        set(in_sources FALSE)
      endif()
    elseif(in_sources AND line MATCHES "^([A-Za-z0-9_/]+\\.c)$")
      list(APPEND sources "${dir}/${CMAKE_MATCH_1}")
    endif()
  endforeach()
  if(NOT sources)
    message(FATAL_ERROR "${inf}: no .c file in its [Sources]")
  endif()
  set(${result} ${sources} PARENT_SCOPE)
endfunction()

function(dxemem_add_edk2_boot_services name)
  cmake_parse_arguments(ARG "" "EDK2_DIR;EFIAPI" "" ${ARGN})
  if(NOT EXISTS "${ARG_EDK2_DIR}/MdePkg/Include/Uefi.h")
    message(FATAL_ERROR "dxemem_add_edk2_boot_services: no "
                        "MdePkg/Include/Uefi.h under EDK2_DIR '${ARG_EDK2_DIR}'")
  endif()
  dxemem_edk2_arch_dir(arch)
  dxemem_edk2_inf_sources(
    ${DXEMEM_EDK2_PKG_DIR}/Library/DxememBootServicesLib/DxememBootServicesLib.inf
    sources)
  add_library(${name} STATIC ${sources})
  target_include_directories(${name} PUBLIC
    ${DXEMEM_EDK2_PKG_DIR}/Include
    ${ARG_EDK2_DIR}/MdePkg/Include
    ${ARG_EDK2_DIR}/MdePkg/Include/${arch})
  target_compile_options(${name} PUBLIC -fshort-wchar)
  if(ARG_EFIAPI)
    target_compile_definitions(${name} PUBLIC "EFIAPI=${ARG_EFIAPI}")
  endif()
  target_link_libraries(${name} PUBLIC dxemem::host)
endfunction()
