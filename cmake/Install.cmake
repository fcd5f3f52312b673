include(GNUInstallDirs)
include(CMakePackageConfigHelpers)
install(TARGETS tapegrad EXPORT tapegradTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(TARGETS tapegrad_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Internal headers stay out: ISA kernel bodies (xsimd), the op-recording helper, io's HDF5 and
# Keras internals, the MPI communicator. tests/consumer compiles every installed header on its own.
set(TG_INTERNAL_HEADERS core/kernels/gemm_kernel.hpp ops/record.hpp io/h5.hpp io/h5_detail.hpp
    io/keras_internal.hpp distributed/comm.hpp)
foreach(dir core core/kernels autograd ops summary nn distributed io)
  file(GLOB hdrs RELATIVE ${PROJECT_SOURCE_DIR} ${PROJECT_SOURCE_DIR}/${dir}/*.hpp)
  foreach(h ${hdrs})
    if(NOT h IN_LIST TG_INTERNAL_HEADERS AND NOT h MATCHES "_impl\\.hpp$")
      install(FILES ${PROJECT_SOURCE_DIR}/${h} DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tapegrad/${dir})
    endif()
  endforeach()
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
