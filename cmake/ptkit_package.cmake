# The shared library and everything `cmake --install` puts in place:
# headers, libptkit.a and libptkit.so (SONAME from the project version),
# the ptkit command and its man page, ptkit.pc for pkg-config, and
# ptkitConfig.cmake + ptkitConfigVersion.cmake for find_package(ptkit),
# which defines ptkit::ptkit (see cmake/ptkitConfig.cmake.in).

# --- the shared library
#
# Its own objects, compiled with -fPIC; the static library keeps objects
# without it. Exported: exactly the ptk_* names the public headers
# declare (a version script generated from include/), so the engine's
# internals (ptk_table__alloc and friends) stay local. The headers carry
# no visibility attributes, so -fvisibility=hidden is not used (it would
# hide the API too); -fno-semantic-interposition lets the compiler call
# and inline the library's own exported functions directly, as in the
# static build, and -Bsymbolic-functions binds the calls between its files
# (ptk_gather_add() from every engine instance, ...) directly instead of
# through the PLT (functions only: data such as ptk_fmt_x86_64 keeps one
# address for the library and its users). ptk_translate() stays an inline
# call through the table's engine pointer in the caller.
if(PTK_BUILD_SHARED)
	file(GLOB_RECURSE ptk_api_headers ${PROJECT_SOURCE_DIR}/include/*.h)
	set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
		${ptk_api_headers})
	set(ptk_api_names)
	foreach(h ${ptk_api_headers})
		file(READ ${h} body)
		string(REGEX MATCHALL "ptk_[a-z0-9_]+" names "${body}")
		list(APPEND ptk_api_names ${names})
	endforeach()
	list(REMOVE_DUPLICATES ptk_api_names)
	list(FILTER ptk_api_names EXCLUDE REGEX "__")
	list(SORT ptk_api_names)
	string(REPLACE ";" ";\n\t\t" ptk_api_list "${ptk_api_names}")
	# 0.x releases make no ABI promise between minor versions, so the
	# SONAME carries major.minor until 1.0 (libptkit.so.0.1).
	if(PROJECT_VERSION_MAJOR EQUAL 0)
		set(ptk_soversion ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR})
	else()
		set(ptk_soversion ${PROJECT_VERSION_MAJOR})
	endif()
	set(ptk_map ${CMAKE_CURRENT_BINARY_DIR}/ptkit.map)
	file(CONFIGURE OUTPUT ${ptk_map} CONTENT
"/* Generated from include/ by cmake/ptkit_package.cmake. */
PTKIT_${ptk_soversion} {
	global:
		${ptk_api_list};
	local:
		*;
};
")
	add_library(ptkit_shared SHARED ${PTK_CORE_SOURCES} ${PTK_HOST_SOURCES})
	target_include_directories(ptkit_shared
		PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>
		       $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
		PRIVATE ${PROJECT_SOURCE_DIR}/src)
	target_compile_options(ptkit_shared PRIVATE ${PTK_WARNINGS}
		-fno-semantic-interposition)
	target_link_options(ptkit_shared PRIVATE
		-Wl,--version-script=${ptk_map} -Wl,--no-undefined
		-Wl,-Bsymbolic-functions)
	set_target_properties(ptkit_shared PROPERTIES
		OUTPUT_NAME ptkit
		EXPORT_NAME ptkit_shared
		VERSION ${PROJECT_VERSION}
		SOVERSION ${ptk_soversion}
		LINK_DEPENDS ${ptk_map})
endif()

if(NOT PTK_INSTALL)
	return()
endif()

include(CMakePackageConfigHelpers)
set(ptk_cmakedir ${CMAKE_INSTALL_LIBDIR}/cmake/ptkit)

install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/
	DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
	FILES_MATCHING PATTERN "*.h")
set(ptk_install_targets ptkit)
if(TARGET ptkit_shared)
	list(APPEND ptk_install_targets ptkit_shared)
endif()
install(TARGETS ${ptk_install_targets} EXPORT ptkitTargets
	ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
	LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
	RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR}
	INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT ptkitTargets NAMESPACE ptkit::
	FILE ptkitTargets.cmake DESTINATION ${ptk_cmakedir})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/ptkitConfig.cmake.in
	${CMAKE_CURRENT_BINARY_DIR}/ptkitConfig.cmake
	INSTALL_DESTINATION ${ptk_cmakedir})
# 0.x: only the same minor version is compatible (as the SONAME says).
if(PROJECT_VERSION_MAJOR EQUAL 0)
	set(ptk_compat SameMinorVersion)
else()
	set(ptk_compat SameMajorVersion)
endif()
write_basic_package_version_file(
	${CMAKE_CURRENT_BINARY_DIR}/ptkitConfigVersion.cmake
	COMPATIBILITY ${ptk_compat})
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ptkitConfig.cmake
	${CMAKE_CURRENT_BINARY_DIR}/ptkitConfigVersion.cmake
	DESTINATION ${ptk_cmakedir})

# pkg-config: the prefix is found from the .pc file's own place
# (${pcfiledir}, which pkg-config and pkgconf both set), so the files work
# wherever `cmake --install --prefix` or DESTDIR put them.
if(IS_ABSOLUTE "${CMAKE_INSTALL_LIBDIR}")
	set(ptk_pc_prefix "${CMAKE_INSTALL_PREFIX}")
else()
	file(RELATIVE_PATH ptk_pc_up /p/${CMAKE_INSTALL_LIBDIR}/pkgconfig /p)
	string(REGEX REPLACE "/$" "" ptk_pc_up "${ptk_pc_up}")
	set(ptk_pc_prefix "\${pcfiledir}/${ptk_pc_up}")
endif()
foreach(d LIBDIR INCLUDEDIR)
	if(IS_ABSOLUTE "${CMAKE_INSTALL_${d}}")
		set(ptk_pc_${d} "${CMAKE_INSTALL_${d}}")
	else()
		set(ptk_pc_${d} "\${prefix}/${CMAKE_INSTALL_${d}}")
	endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/ptkit.pc.in
	${CMAKE_CURRENT_BINARY_DIR}/ptkit.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/ptkit.pc
	DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# The ptkit command and its man page: tools/ptkit/CMakeLists.txt.
