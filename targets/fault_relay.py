"""A forwarding relay with known faults: python targets/fault_relay.py PORT UPSTREAM_URL FAULT[,FAULT...]

Put between a real relay and its upstream (targets/litellm/start.sh does with FAULT=...), it makes a
chain whose upstream is faithful but whose relay side is broken in a known way: what the differential
checks must find. Faults are names from respcheck's catalogue (respcheck selftest --list)."""

import sys

import uvicorn

from respcheck.faults.layer import FaultLayer, resolve
from respcheck.relay import ForwardingRelay

if __name__ == "__main__":
    port, upstream, faults = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    app = FaultLayer(ForwardingRelay(upstream), resolve(faults))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
