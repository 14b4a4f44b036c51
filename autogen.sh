#!/bin/sh
# Generates ./configure and the automake helpers (build-aux/) from configure.ac.
set -e
cd "$(dirname "$0")"
mkdir -p build-aux/m4
autoreconf --install --force
