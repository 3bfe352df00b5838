# The edk2 files the drop-in tests compile, unmodified, from the edk2 tree
# EDK2_DIR (../shared/edk2 in CI), plus BaseLibShift.c: the one BaseLib
# function BaseMemoryLib needs, which that tree does not hold.
set(DXEMEM_EDK2_TEST_DIR ${CMAKE_CURRENT_LIST_DIR})
function(dxemem_edk2_library_sources edk2_dir result)
  set(lib ${edk2_dir}/MdePkg/Library)
  set(${result}
    ${lib}/UefiMemoryAllocationLib/MemoryAllocationLib.c
    ${lib}/UefiBootServicesTableLib/UefiBootServicesTableLib.c
    ${lib}/BaseDebugLibNull/DebugLib.c
    ${lib}/BaseMemoryLib/CompareMemWrapper.c
    ${lib}/BaseMemoryLib/CopyMem.c
    ${lib}/BaseMemoryLib/CopyMemWrapper.c
    ${lib}/BaseMemoryLib/IsZeroBufferWrapper.c
    ${lib}/BaseMemoryLib/MemLibGeneric.c
    ${lib}/BaseMemoryLib/SetMem.c
    ${lib}/BaseMemoryLib/SetMemWrapper.c
    ${lib}/BaseMemoryLib/SetMem16Wrapper.c
    ${lib}/BaseMemoryLib/SetMem32Wrapper.c
    ${lib}/BaseMemoryLib/SetMem64Wrapper.c
    ${lib}/BaseMemoryLib/SetMemNWrapper.c
    ${lib}/BaseMemoryLib/ZeroMemWrapper.c
    ${DXEMEM_EDK2_TEST_DIR}/BaseLibShift.c
    PARENT_SCOPE)
endfunction()
