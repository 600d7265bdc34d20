hist:keys=common_pid:vals=hitcount:sort=common_pid:size=8192 if exit_reason==40 [active]
