//! The registered fields, grouped by class. Descriptions are ours.

use super::{ArgSpec, FType, FieldDef};

macro_rules! fields {
    ($( $id:ident $name:literal $t:ident $arg:ident $fo:literal $desc:literal; )*) => {
        /// Field identifiers, one per registered field.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum F { $($id,)* }
        static DEFS: &[FieldDef] = &[
            $( FieldDef { name: $name, ftype: FType::$t, desc: $desc, arg: ArgSpec::$arg, id: F::$id, filter_only: $fo }, )*
        ];
    };
}

/// Every registered field, in `-l` order.
pub fn all() -> &'static [FieldDef] {
    DEFS
}

fields! {
    // ---- evt (all events)
    EvtNum "evt.num" U64 None false "Sequence number of the event in the source, starting at 1.";
    EvtTime "evt.time" Str None false "Time of the event, local, with nanoseconds (15:04:05.123456789).";
    EvtTimeS "evt.time.s" Str None false "Time of the event, local, whole seconds.";
    EvtTimeIso "evt.time.iso8601" Str None false "Time of the event in ISO 8601, UTC, with nanoseconds.";
    EvtDatetime "evt.datetime" Str None false "Date and time of the event, local, with nanoseconds.";
    EvtDatetimeS "evt.datetime.s" Str None false "Date and time of the event, local, whole seconds.";
    EvtRawtime "evt.rawtime" AbsTime None false "Event timestamp in nanoseconds since the epoch.";
    EvtRawtimeS "evt.rawtime.s" AbsTime None false "Whole seconds of the event timestamp.";
    EvtRawtimeNs "evt.rawtime.ns" AbsTime None false "Nanosecond part of the event timestamp.";
    EvtReltime "evt.reltime" RelTime None false "Nanoseconds since the first event of the source.";
    EvtReltimeS "evt.reltime.s" RelTime None false "Whole seconds since the first event.";
    EvtReltimeNs "evt.reltime.ns" RelTime None false "Nanosecond part of the time since the first event.";
    EvtOutputtime "evt.outputtime" Str None false "The time column of the default line; follows -t.";
    EvtPluginname "evt.pluginname" Str None false "Name of the plugin that produced the event (plugin events only).";
    EvtPlugininfo "evt.plugininfo" Str None false "Summary of a plugin event.";
    // ---- evt (syscall events)
    EvtLatency "evt.latency" RelTime None false "Exit events: nanoseconds since the matching enter event.";
    EvtLatencyS "evt.latency.s" RelTime None false "Whole seconds of evt.latency.";
    EvtLatencyNs "evt.latency.ns" RelTime None false "Nanosecond part of evt.latency.";
    EvtLatencyHuman "evt.latency.human" Str None false "evt.latency as a readable duration (10.3ms).";
    EvtLatencyQuantized "evt.latency.quantized" U64 None false "Log-scale bucket of evt.latency (spectrograms).";
    EvtDeltatime "evt.deltatime" RelTime None false "Nanoseconds since the previous event.";
    EvtDeltatimeS "evt.deltatime.s" RelTime None false "Whole seconds of evt.deltatime.";
    EvtDeltatimeNs "evt.deltatime.ns" RelTime None false "Nanosecond part of evt.deltatime.";
    EvtDir "evt.dir" Str None false "Direction: '>' enter, '<' exit.";
    EvtType "evt.type" Str None false "Event name, e.g. open.";
    EvtTypeIs "evt.type.is" U32 Required false "1 if the event is of the type given as argument (evt.type.is.open), else 0.";
    SyscallType "syscall.type" Str None false "For syscall events, the name of the system call.";
    EvtCategory "evt.category" Str None false "Category of the event: file, net, process, memory, ...";
    EvtCpu "evt.cpu" I16 None false "CPU the event happened on.";
    EvtArgs "evt.args" Str None false "All arguments of the event as one string.";
    EvtArg "evt.arg" Str Required false "One argument, by name (evt.arg.fd) or position (evt.arg[0]): its resolved text where it has one (<f>/etc/passwd for an fd, ENOENT for an error), else its value.";
    EvtRawarg "evt.rawarg" Dynamic Required false "One argument, by name, as its raw value: of the type of the first event argument so named (numbers compare numerically, paths and strings as text).";
    EvtInfo "evt.info" Str None false "The arguments as sysdig prints them, or a summary for special events.";
    EvtBuffer "evt.buffer" Bytes None false "The data buffer of an I/O event.";
    EvtBuflen "evt.buflen" U64 None false "Length of the data buffer of an I/O event.";
    EvtBuflenIn "evt.buflen.in" U64 None false "Bytes read by an I/O event (any fd).";
    EvtBuflenOut "evt.buflen.out" U64 None false "Bytes written by an I/O event (any fd).";
    EvtBuflenFile "evt.buflen.file" U64 None false "Bytes read or written on a file.";
    EvtBuflenFileIn "evt.buflen.file.in" U64 None false "Bytes read from a file.";
    EvtBuflenFileOut "evt.buflen.file.out" U64 None false "Bytes written to a file.";
    EvtBuflenNet "evt.buflen.net" U64 None false "Bytes read or written on a network socket.";
    EvtBuflenNetIn "evt.buflen.net.in" U64 None false "Bytes received on a network socket.";
    EvtBuflenNetOut "evt.buflen.net.out" U64 None false "Bytes sent on a network socket.";
    EvtRes "evt.res" Str None false "Result: SUCCESS, or the error name (ENOENT) of a failed call.";
    EvtRawres "evt.rawres" I64 None false "Result as a number.";
    EvtFailed "evt.failed" Bool None false "True for exit events that returned an error.";
    EvtIsIo "evt.is_io" Bool None false "True for events that read or write data (read, send, ...).";
    EvtIsIoRead "evt.is_io_read" Bool None false "True for events that read data.";
    EvtIsIoWrite "evt.is_io_write" Bool None false "True for events that write data.";
    EvtIoDir "evt.io_dir" Str None false "'read' for reads, 'write' for writes.";
    EvtIsWait "evt.is_wait" Bool None false "True for events that make the thread wait (sleep, select, poll).";
    EvtWaitLatency "evt.wait_latency" RelTime None false "For waiting events, the time spent waiting.";
    EvtIsSyslog "evt.is_syslog" Bool None false "True for writes to /dev/log.";
    EvtCount "evt.count" U32 None false "1 for every event (useful in views).";
    EvtCountError "evt.count.error" U32 None false "1 for exit events that failed.";
    EvtCountErrorFile "evt.count.error.file" U32 None false "1 for failed file events.";
    EvtCountErrorNet "evt.count.error.net" U32 None false "1 for failed network events.";
    EvtCountErrorMemory "evt.count.error.memory" U32 None false "1 for failed memory events.";
    EvtCountErrorOther "evt.count.error.other" U32 None false "1 for other failed events.";
    EvtCountExit "evt.count.exit" U32 None false "1 for exit events.";
    EvtCountProcinfo "evt.count.procinfo" U32 None false "1 for procinfo events of main threads (process counts).";
    EvtCountThreadinfo "evt.count.threadinfo" U32 None false "1 for procinfo events (thread counts).";
    EvtAround "evt.around" U64 Required true "Filter only: events within N ms of the given timestamp.";
    EvtAbspath "evt.abspath" Str Optional false "Absolute path of a path argument (src/dst for rename-like calls).";
    EvtIsOpenRead "evt.is_open_read" Bool None false "True for opens with read access.";
    EvtIsOpenWrite "evt.is_open_write" Bool None false "True for opens with write access.";
    EvtIsOpenExec "evt.is_open_exec" Bool None false "True for opens that create executable files.";
    EvtInfraDockerName "evt.infra.docker.name" Str None false "Docker infrastructure events: the docker event's name (start, die...).";
    EvtInfraDockerContainerId "evt.infra.docker.container.id" Str None false "Docker infrastructure events: the container's id (12 characters).";
    EvtInfraDockerContainerName "evt.infra.docker.container.name" Str None false "Docker infrastructure events: the container's name.";
    EvtInfraDockerContainerImage "evt.infra.docker.container.image" Str None false "Docker infrastructure events: the container's image.";
    // ---- process
    ProcPid "proc.pid" I64 None false "Process id.";
    ProcExe "proc.exe" Str None false "First command-line argument (argv[0]).";
    ProcName "proc.name" Str None false "Name of the executable (comm).";
    ProcArgs "proc.args" Str None false "Command-line arguments after the name.";
    ProcEnv "proc.env" Str None false "Environment variables of the process.";
    ProcCmdline "proc.cmdline" Str None false "Name plus arguments.";
    ProcExeline "proc.exeline" Str None false "argv[0] plus arguments.";
    ProcCwd "proc.cwd" Str None false "Current working directory.";
    ProcNthreads "proc.nthreads" U32 None false "Number of threads of the process.";
    ProcNchilds "proc.nchilds" U32 None false "Number of child threads of the process (not the main one).";
    ProcPpid "proc.ppid" I64 None false "Parent process id.";
    ProcPname "proc.pname" Str None false "Name of the parent.";
    ProcPcmdline "proc.pcmdline" Str None false "Command line of the parent.";
    ProcApid "proc.apid" I64 Optional false "Pid of an ancestor: proc.apid[1] parent, [2] grandparent...";
    ProcAname "proc.aname" Str Optional false "Name of an ancestor: proc.aname[1] parent...; in filters without index, any ancestor.";
    ProcLoginshellid "proc.loginshellid" I64 None false "Pid of the oldest shell ancestor.";
    ProcDuration "proc.duration" RelTime None false "Nanoseconds since the process started.";
    ProcFdopencount "proc.fdopencount" U64 None false "Open fds of the process.";
    ProcFdlimit "proc.fdlimit" I64 None false "Maximum fds the process may open.";
    ProcFdusage "proc.fdusage" Double None false "Open fds as a percentage of the limit.";
    ProcVmsize "proc.vmsize" U64 None false "Virtual memory of the process, in kB.";
    ProcVmrss "proc.vmrss" U64 None false "Resident memory of the process, in kB.";
    ProcVmswap "proc.vmswap" U64 None false "Swapped memory of the process, in kB.";
    ThreadPfmajor "thread.pfmajor" U64 None false "Major page faults of the thread.";
    ThreadPfminor "thread.pfminor" U64 None false "Minor page faults of the thread.";
    ThreadTid "thread.tid" I64 None false "Thread id.";
    ThreadIsmain "thread.ismain" Bool None false "True for the main thread of a process.";
    ThreadExectime "thread.exectime" RelTime None false "CPU time of the last scheduled slice (switch events).";
    ThreadTotexectime "thread.totexectime" RelTime None false "Total CPU time seen for the thread.";
    ThreadCgroups "thread.cgroups" Str None false "All cgroups of the thread.";
    ThreadCgroup "thread.cgroup" Str Required false "The cgroup of one subsystem: thread.cgroup.cpuacct.";
    ThreadVtid "thread.vtid" I64 None false "Thread id in its pid namespace.";
    ProcVpid "proc.vpid" I64 None false "Process id in its pid namespace.";
    ThreadCpu "thread.cpu" Double None false "CPU use of the thread (procinfo events).";
    ThreadCpuUser "thread.cpu.user" Double None false "User CPU use of the thread.";
    ThreadCpuSystem "thread.cpu.system" Double None false "System CPU use of the thread.";
    ThreadVmsize "thread.vmsize" U64 None false "Virtual memory of the thread's process in kB (main threads only).";
    ThreadVmrss "thread.vmrss" U64 None false "Resident memory of the thread's process in kB (main threads only).";
    ThreadVmsizeB "thread.vmsize.b" U64 None false "Virtual memory in bytes (main threads only).";
    ThreadVmrssB "thread.vmrss.b" U64 None false "Resident memory in bytes (main threads only).";
    ThreadNametid "thread.nametid" Str None false "Name and tid together (name1234).";
    ProcSid "proc.sid" I64 None false "Session id.";
    ProcSname "proc.sname" Str None false "Name of the session leader.";
    ProcTty "proc.tty" I32 None false "Controlling terminal (0 if none).";
    ProcExepath "proc.exepath" Str None false "Full path of the executable.";
    ProcVpgid "proc.vpgid" I64 None false "Process group id in its namespace.";
    ProcIsContainerHealthcheck "proc.is_container_healthcheck" Bool None false "True for container health-check processes.";
    ProcIsContainerLivenessProbe "proc.is_container_liveness_probe" Bool None false "True for processes of the container's liveness probe.";
    ProcIsContainerReadinessProbe "proc.is_container_readiness_probe" Bool None false "True for processes of the container's readiness probe.";
    ProcIsExeWritable "proc.is_exe_writable" Bool None false "True if the executable is writable by the process's user.";
    // ---- user / group
    UserUid "user.uid" U32 None false "User id.";
    UserName "user.name" Str None false "User name.";
    UserHomedir "user.homedir" Str None false "Home directory of the user.";
    UserShell "user.shell" Str None false "Login shell of the user.";
    UserLoginuid "user.loginuid" I32 None false "Audit login uid (-1 if none).";
    UserLoginname "user.loginname" Str None false "Name of the audit login user.";
    GroupGid "group.gid" U64 None false "Group id.";
    GroupName "group.name" Str None false "Group name.";
    // ---- container
    ContainerId "container.id" Str None false "Container id, or 'host'.";
    ContainerName "container.name" Str None false "Container name, or 'host'.";
    ContainerImage "container.image" Str None false "Container image name.";
    ContainerImageId "container.image.id" Str None false "Container image id.";
    ContainerType "container.type" Str None false "Container runtime: docker, podman, cri-o, containerd...";
    ContainerPrivileged "container.privileged" Bool None false "True for privileged containers.";
    ContainerMounts "container.mounts" Str None false "All mounts: source:dest:mode:rdwr:propagation, comma-separated.";
    ContainerMount "container.mount" Str Required false "One mount, by index or source glob.";
    ContainerMountSource "container.mount.source" Str Required false "Source of a mount, by index or dest glob.";
    ContainerMountDest "container.mount.dest" Str Required false "Destination of a mount, by index or source glob.";
    ContainerMountMode "container.mount.mode" Str Required false "Mode of a mount.";
    ContainerMountRdwr "container.mount.rdwr" Str Required false "true if a mount is read-write.";
    ContainerMountPropagation "container.mount.propagation" Str Required false "Propagation of a mount.";
    ContainerImageRepository "container.image.repository" Str None false "Repository of the image.";
    ContainerImageTag "container.image.tag" Str None false "Tag of the image.";
    ContainerImageDigest "container.image.digest" Str None false "Digest of the image.";
    ContainerHealthcheck "container.healthcheck" Str None false "Health-check command of the container.";
    ContainerLivenessProbe "container.liveness_probe" Str None false "Liveness probe command.";
    ContainerReadinessProbe "container.readiness_probe" Str None false "Readiness probe command.";
    ContainerIp "container.ip" Str None false "Primary IP of the container.";
    ContainerCmdline "container.cmdline" Str None false "Entry point and arguments of the container.";
    ContainerLabels "container.labels" Str None false "Container labels, key:value comma-separated.";
    ContainerLabel "container.label" Str Required false "One container label by key.";
    ContainerStartTs "container.start_ts" AbsTime None false "Container start time, ns since epoch.";
    // ---- fd
    FdNum "fd.num" I64 None false "The fd number.";
    FdType "fd.type" Str None false "Type of fd: file, directory, ipv4, ipv6, unix, pipe, event, ...";
    FdTypechar "fd.typechar" Str None false "Type of fd as one letter (f, 4, 6, u, p, ...).";
    FdName "fd.name" Str None false "Full name: a path, or a connection tuple.";
    FdDirectory "fd.directory" Str None false "Directory of a file fd.";
    FdFilename "fd.filename" Str None false "File name of a file fd, without directory.";
    FdIp "fd.ip" Ip None true "Filter only: either endpoint's IP.";
    FdCip "fd.cip" Ip None false "Client IP.";
    FdSip "fd.sip" Ip None false "Server IP.";
    FdLip "fd.lip" Ip None false "Local IP.";
    FdRip "fd.rip" Ip None false "Remote IP.";
    FdPort "fd.port" Port None true "Filter only: either endpoint's port.";
    FdCport "fd.cport" Port None false "Client port.";
    FdSport "fd.sport" Port None false "Server port.";
    FdLport "fd.lport" Port None false "Local port.";
    FdRport "fd.rport" Port None false "Remote port.";
    FdL4proto "fd.l4proto" Str None false "IP protocol: tcp, udp, icmp, raw.";
    FdSockfamily "fd.sockfamily" Str None false "Socket family: ip or unix.";
    FdIsServer "fd.is_server" Bool None false "True if this side of the socket is the server.";
    FdUid "fd.uid" Str None false "Unique id of the fd: container id, tid and fd number.";
    FdContainername "fd.containername" Str None false "Container id plus fd.name.";
    FdContainerdirectory "fd.containerdirectory" Str None false "Container id plus fd.directory.";
    FdProto "fd.proto" Port None true "Filter only: either endpoint's protocol.";
    FdCproto "fd.cproto" Str None false "Client protocol name (port resolved).";
    FdSproto "fd.sproto" Str None false "Server protocol name (port resolved).";
    FdLproto "fd.lproto" Str None false "Local protocol name.";
    FdRproto "fd.rproto" Str None false "Remote protocol name.";
    FdNet "fd.net" IpNet None true "Filter only: either endpoint's network.";
    FdCnet "fd.cnet" IpNet None true "Filter only: client network.";
    FdSnet "fd.snet" IpNet None true "Filter only: server network.";
    FdLnet "fd.lnet" IpNet None true "Filter only: local network.";
    FdRnet "fd.rnet" IpNet None true "Filter only: remote network.";
    FdConnected "fd.connected" Bool None false "True for connected sockets.";
    FdNameChanged "fd.name_changed" Bool None false "True when this event changed the fd's name.";
    FdCipName "fd.cip.name" Str None false "Domain name of the client IP.";
    FdSipName "fd.sip.name" Str None false "Domain name of the server IP.";
    FdLipName "fd.lip.name" Str None false "Domain name of the local IP.";
    FdRipName "fd.rip.name" Str None false "Domain name of the remote IP.";
    FdDev "fd.dev" I32 None false "Device number of a file fd.";
    FdDevMajor "fd.dev.major" I32 None false "Major device number.";
    FdDevMinor "fd.dev.minor" I32 None false "Minor device number.";
    FdIno "fd.ino" I64 None false "Inode of a file fd.";
    FdNameraw "fd.nameraw" Str None false "The name as the syscall gave it, before path resolution.";
    // ---- syslog
    SyslogFacilityStr "syslog.facility.str" Str None false "Facility of a syslog write, as text.";
    SyslogFacility "syslog.facility" U32 None false "Facility of a syslog write.";
    SyslogSeverityStr "syslog.severity.str" Str None false "Severity of a syslog write, as text.";
    SyslogSeverity "syslog.severity" U32 None false "Severity of a syslog write.";
    SyslogMessage "syslog.message" Str None false "Message of a syslog write.";
    // ---- fdlist
    FdlistNums "fdlist.nums" Str None false "fd numbers of a poll-like event, comma-separated.";
    FdlistNames "fdlist.names" Str None false "fd names of a poll-like event.";
    FdlistCips "fdlist.cips" Str None false "Client IPs of a poll-like event's fds.";
    FdlistSips "fdlist.sips" Str None false "Server IPs of a poll-like event's fds.";
    FdlistCports "fdlist.cports" Str None false "Client ports of a poll-like event's fds.";
    FdlistSports "fdlist.sports" Str None false "Server ports of a poll-like event's fds.";
    // ---- k8s
    K8sPodName "k8s.pod.name" Str None false "Kubernetes pod name.";
    K8sPodId "k8s.pod.id" Str None false "Kubernetes pod id (uid).";
    K8sPodUid "k8s.pod.uid" Str None false "Kubernetes pod uid.";
    K8sPodSandboxId "k8s.pod.sandbox_id" Str None false "Id of the pod's sandbox container.";
    K8sPodLabel "k8s.pod.label" Str Required false "One pod label by key.";
    K8sPodLabels "k8s.pod.labels" Str None false "Pod labels, key:value comma-separated.";
    K8sPodIp "k8s.pod.ip" Str None false "Pod IP.";
    K8sNsName "k8s.ns.name" Str None false "Kubernetes namespace name.";
    // The objects below the pod and namespace names come from the
    // Kubernetes API server in sysdig (`-k`); syspect asks only the
    // container runtime, which does not know them, so they have no value
    // yet (as in sysdig without `-k`). They are registered so that rules
    // and filters naming them compile.
    K8sNsId "k8s.ns.id" Str None false "Kubernetes namespace uid (from the API server; no value yet).";
    K8sNsLabel "k8s.ns.label" Str Required false "One namespace label by key (from the API server; no value yet).";
    K8sNsLabels "k8s.ns.labels" Str None false "Namespace labels (from the API server; no value yet).";
    K8sRcName "k8s.rc.name" Str None false "Replication controller name (from the API server; no value yet).";
    K8sRcId "k8s.rc.id" Str None false "Replication controller uid (from the API server; no value yet).";
    K8sRcLabel "k8s.rc.label" Str Required false "One replication controller label by key (no value yet).";
    K8sRcLabels "k8s.rc.labels" Str None false "Replication controller labels (no value yet).";
    K8sSvcName "k8s.svc.name" Str None false "Names of the services selecting the pod (from the API server; no value yet).";
    K8sSvcId "k8s.svc.id" Str None false "Uids of the services selecting the pod (no value yet).";
    K8sSvcLabel "k8s.svc.label" Str Required false "One service label by key (no value yet).";
    K8sSvcLabels "k8s.svc.labels" Str None false "Service labels (no value yet).";
    K8sRsName "k8s.rs.name" Str None false "Replica set name (from the API server; no value yet).";
    K8sRsId "k8s.rs.id" Str None false "Replica set uid (no value yet).";
    K8sRsLabel "k8s.rs.label" Str Required false "One replica set label by key (no value yet).";
    K8sRsLabels "k8s.rs.labels" Str None false "Replica set labels (no value yet).";
    K8sDeploymentName "k8s.deployment.name" Str None false "Deployment name (from the API server; no value yet).";
    K8sDeploymentId "k8s.deployment.id" Str None false "Deployment uid (no value yet).";
    K8sDeploymentLabel "k8s.deployment.label" Str Required false "One deployment label by key (no value yet).";
    K8sDeploymentLabels "k8s.deployment.labels" Str None false "Deployment labels (no value yet).";
    // ---- mesos, marathon: sysdig reads them from a Mesos master
    // (`-m`); syspect has no Mesos source, so they never have a value.
    MesosTaskName "mesos.task.name" Str None false "Mesos task name (no Mesos source: never has a value).";
    MesosTaskId "mesos.task.id" Str None false "Mesos task id (never has a value).";
    MesosTaskLabel "mesos.task.label" Str Required false "One Mesos task label by key (never has a value).";
    MesosTaskLabels "mesos.task.labels" Str None false "Mesos task labels (never has a value).";
    MesosFrameworkName "mesos.framework.name" Str None false "Mesos framework name (never has a value).";
    MesosFrameworkId "mesos.framework.id" Str None false "Mesos framework id (never has a value).";
    MarathonAppName "marathon.app.name" Str None false "Marathon app name (never has a value).";
    MarathonAppId "marathon.app.id" Str None false "Marathon app id (never has a value).";
    MarathonAppLabel "marathon.app.label" Str Required false "One Marathon app label by key (never has a value).";
    MarathonAppLabels "marathon.app.labels" Str None false "Marathon app labels (never has a value).";
    MarathonGroupName "marathon.group.name" Str None false "Marathon group name (never has a value).";
    MarathonGroupId "marathon.group.id" Str None false "Marathon group id (never has a value).";
}
