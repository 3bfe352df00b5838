# Install rules: the libraries, the public headers, the CLI, a CMake package
# (find_package(dxemem CONFIG) gives dxemem::core and dxemem::host) and a
# pkg-config file (pkg-config --cflags --libs dxemem). Both are relocatable:
# `cmake --install build --prefix DIR` works for any DIR.
include(CMakePackageConfigHelpers)

set(DXEMEM_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/dxemem)
set(DXEMEM_INSTALL_EDK2DIR ${CMAKE_INSTALL_DATADIR}/dxemem/edk2/DxememPkg)

install(TARGETS dxemem_core dxemem_host EXPORT dxememTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/dxemem
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
if(TARGET dxemem)
  install(TARGETS dxemem RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT dxememTargets NAMESPACE dxemem::
        DESTINATION ${DXEMEM_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/dxememConfig.cmake.in
  ${PROJECT_BINARY_DIR}/dxememConfig.cmake
  INSTALL_DESTINATION ${DXEMEM_INSTALL_CMAKEDIR}
  PATH_VARS DXEMEM_INSTALL_EDK2DIR)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/dxememConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/dxememConfig.cmake
              ${PROJECT_BINARY_DIR}/dxememConfigVersion.cmake
        DESTINATION ${DXEMEM_INSTALL_CMAKEDIR})

# dxemem.pc finds the prefix from its own location (${pcfiledir}).
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}" OR IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DXEMEM_PC_PREFIX "${CMAKE_INSTALL_PREFIX}")
else()
  file(RELATIVE_PATH dxemem_pc_up "/root/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/root")
  string(REGEX REPLACE "/$" "" dxemem_pc_up "${dxemem_pc_up}")
  set(DXEMEM_PC_PREFIX "\${pcfiledir}/${dxemem_pc_up}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
  set(DXEMEM_PC_LIBDIR "${CMAKE_INSTALL_LIBDIR}")
else()
  set(DXEMEM_PC_LIBDIR "\${prefix}/${CMAKE_INSTALL_LIBDIR}")
endif()
if(IS_ABSOLUTE "${CMAKE_INSTALL_INCLUDEDIR}")
  set(DXEMEM_PC_INCLUDEDIR "${CMAKE_INSTALL_INCLUDEDIR}")
else()
  set(DXEMEM_PC_INCLUDEDIR "\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}")
endif()
configure_file(${PROJECT_SOURCE_DIR}/cmake/dxemem.pc.in
               ${PROJECT_BINARY_DIR}/dxemem.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/dxemem.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The edk2 drop-in is built from source by the consumer
# (dxemem_add_edk2_boot_services, or an edk2 build with its INF).
install(FILES ${PROJECT_SOURCE_DIR}/cmake/dxememEdk2.cmake
        DESTINATION ${DXEMEM_INSTALL_CMAKEDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/integrations/edk2/DxememPkg
        DESTINATION ${CMAKE_INSTALL_DATADIR}/dxemem/edk2)
