dist_machines_DATA = machines/pc.machine
