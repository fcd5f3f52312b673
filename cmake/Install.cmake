include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS tapegrad EXPORT tapegradTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS tapegrad_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
foreach(dir core core/kernels autograd ops summary nn distributed io)
  file(GLOB hdrs ${PROJECT_SOURCE_DIR}/${dir}/*.hpp)
  install(FILES ${hdrs} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad/${dir})
endforeach()
install(FILES ${PROJECT_SOURCE_DIR}/tapegrad.hpp DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad)
install(EXPORT tapegradTargets NAMESPACE tapegrad:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
configure_package_config_file(cmake/tapegradConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/tapegradConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/tapegradConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/tapegradConfig.cmake
  ${CMAKE_CURRENT_BINARY_DIR}/tapegradConfigVersion.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/tapegrad)
