#!/usr/bin/env bash
source "$(dirname "$0")/../lib.sh"
stop_target litellm
stop_target litellm-fault
stop_target litellm-upstream
