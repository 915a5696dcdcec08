#!/usr/bin/env bash
source "$(dirname "$0")/../lib.sh"
stop_target llamastack
stop_target llamastack-upstream
