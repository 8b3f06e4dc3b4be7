"""The till's side of sync with head office (docs/protocol.md, docs/sync.md).

`fleetpos sync` runs the agent: it ships the outbox, applies signed catalog change sets,
publishes the device's status. `fleetpos enroll` gives the till its identity. The till
itself calls only `apply_due_prices` (appliance.sync.prices) and `record_device_state`
(appliance.sync.status).
"""
