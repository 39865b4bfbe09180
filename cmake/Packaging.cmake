# Install layout and the Debian package (issue 5 §5).
#
#   cmake --install build                 vipd in sbin, vipctl in bin (their own install() rules),
#                                         /etc/vipd/vipd.yaml from config/vipd.example.yaml unless one
#                                         exists, the systemd unit, sysusers.d and tmpfiles.d entries,
#                                         docs in share/doc/vipd.
#   (cd build && cpack -G DEB)            vipd_<version>_amd64.deb with Depends from dpkg-shlibdeps,
#                                         /etc/vipd/vipd.yaml as a conffile, maintainer scripts from
#                                         packaging/debian/.
include_guard(GLOBAL)

# The configuration lives in /etc whatever the prefix: the unit and vipd's default --config point there.
set(VIPD_CONFIG_DIR "/etc/vipd" CACHE PATH "Directory of vipd.yaml (absolute)")
# Relative to the prefix; systemd reads units, sysusers.d and tmpfiles.d from /usr/local/lib too.
set(VIPD_SYSTEMD_UNIT_DIR "lib/systemd/system" CACHE STRING "systemd unit directory (relative to the prefix)")
set(VIPD_SYSUSERS_DIR "lib/sysusers.d" CACHE STRING "sysusers.d directory (relative to the prefix)")
set(VIPD_TMPFILES_DIR "lib/tmpfiles.d" CACHE STRING "tmpfiles.d directory (relative to the prefix)")
set(VIPD_PACKAGE_MAINTAINER "vipd maintainers <vipd@localhost>" CACHE STRING "Debian Maintainer field")

# Never overwrite an operator's configuration: install the example only where none exists.
install(CODE "
  set(vipd_config \"\$ENV{DESTDIR}${VIPD_CONFIG_DIR}/vipd.yaml\")
  if(EXISTS \"\${vipd_config}\")
    message(STATUS \"Keeping existing configuration: \${vipd_config}\")
  else()
    file(INSTALL DESTINATION \"${VIPD_CONFIG_DIR}\" TYPE FILE PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ
         RENAME vipd.yaml FILES \"${PROJECT_SOURCE_DIR}/config/vipd.example.yaml\")
  endif()
")

# systemd/vipd.service names /usr/sbin/vipd (the package's path); an install under another prefix
# gets a copy pointing at the binary it really installs. Done at install time because cpack installs
# with its own prefix (/usr), not the one the build was configured with.
install(CODE "
  file(READ \"${PROJECT_SOURCE_DIR}/systemd/vipd.service\" vipd_unit)
  if(IS_ABSOLUTE \"${CMAKE_INSTALL_SBINDIR}\")
    set(vipd_sbin \"${CMAKE_INSTALL_SBINDIR}\")
  else()
    set(vipd_sbin \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_SBINDIR}\")
  endif()
  string(REPLACE \"/usr/sbin/vipd\" \"\${vipd_sbin}/vipd\" vipd_unit \"\${vipd_unit}\")
  string(REPLACE \"/usr/share/doc/vipd\" \"\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_DOCDIR}\" vipd_unit \"\${vipd_unit}\")
  file(WRITE \"${PROJECT_BINARY_DIR}/packaging/vipd.service\" \"\${vipd_unit}\")
  file(INSTALL DESTINATION \"\${CMAKE_INSTALL_PREFIX}/${VIPD_SYSTEMD_UNIT_DIR}\" TYPE FILE
       FILES \"${PROJECT_BINARY_DIR}/packaging/vipd.service\")
")
install(FILES systemd/vipd.sysusers DESTINATION ${VIPD_SYSUSERS_DIR} RENAME vipd.conf)
install(FILES systemd/vipd.tmpfiles DESTINATION ${VIPD_TMPFILES_DIR} RENAME vipd.conf)
install(FILES README.md docs/operations.md docs/configuration.md config/vipd.example.yaml
              config/failover.example.yaml
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# `cpack` runs the `preinstall` target first; by default that builds every target (tests, benchmarks).
# Packaging needs only what is installed, and the packaging test must not rebuild the tree: build
# first (cmake --build), then install or package.
set(CMAKE_SKIP_INSTALL_ALL_DEPENDENCY ON)

# --- CPack: Debian package -------------------------------------------------------------------
set(CPACK_GENERATOR "DEB")
set(CPACK_PACKAGE_NAME "vipd")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_CONTACT "${VIPD_PACKAGE_MAINTAINER}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGE_DESCRIPTION "vipd makes virtual IPs reachable from a Linux node: it answers ARP and NDP
for the VIPs it owns only on the links its interface selector picked (never on bond slaves, bridge
ports or links without a matching subnet), reads MetalLB's configuration formats, and runs as a
hardened systemd service (Type=notify, live reload, vipctl, Prometheus metrics).")
# Absolute destinations (/etc/vipd) must land in the staging tree, never on the build machine.
# With DESTDIR, cpack installs under CPACK_INSTALL_PREFIX (not the build's CMAKE_INSTALL_PREFIX).
set(CPACK_SET_DESTDIR ON)
set(CPACK_INSTALL_PREFIX "/usr")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME "DEB-DEFAULT")  # vipd_<version>_<arch>.deb
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "${VIPD_PACKAGE_MAINTAINER}")
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_PRIORITY "optional")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)      # Depends from the binaries' DT_NEEDED (dpkg-shlibdeps)
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "iputils-arping, ndisc6")
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION TRUE)

# Maintainer scripts and conffiles, with the packaged paths filled in.
set(VIPD_PKG_SYSUSERS "${CPACK_PACKAGING_INSTALL_PREFIX}/${VIPD_SYSUSERS_DIR}/vipd.conf")
set(VIPD_PKG_TMPFILES "${CPACK_PACKAGING_INSTALL_PREFIX}/${VIPD_TMPFILES_DIR}/vipd.conf")
set(VIPD_PKG_CONFIG "${VIPD_CONFIG_DIR}/vipd.yaml")
foreach(script postinst prerm postrm conffiles)
  configure_file(${PROJECT_SOURCE_DIR}/packaging/debian/${script}.in ${PROJECT_BINARY_DIR}/packaging/debian/${script} @ONLY)
  list(APPEND CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA ${PROJECT_BINARY_DIR}/packaging/debian/${script})
endforeach()

include(CPack)
