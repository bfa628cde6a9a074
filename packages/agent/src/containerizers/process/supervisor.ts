/**
 * The tiny detached supervisor each process task runs under, so that a task outlives a kill -9 of
 * the agent and a restarted agent still learns how it ended. It is a Perl one-file program (perl-base
 * is Essential on Debian, starts in a few ms and ~5 MB, against ~40 ms and ~40 MB for another node):
 *
 *  1. forks the task; the child starts a new process group (so the task's whole tree is one group
 *     the agent can signal), joins the container's cgroups *before* exec so that nothing escapes the
 *     limits, opens stdout/stderr in append mode on the sandbox files, switches to the task's user
 *     ("uid:gid", when given) and execs the command;
 *  2. writes `pid` ("<pid> <start time> <supervisor pid> <its start time>") into the run directory atomically, then prints the same
 *     line on its stdout (the agent's launch resolves on it) and detaches from that pipe;
 *  3. waits for the task and writes its raw wait(2) status into `exit` atomically.
 *
 * The supervisor ignores SIGTERM/SIGINT/SIGHUP/SIGPIPE itself (the task gets default handlers back).
 * It uses only Perl builtins: loading POSIX.pm alone costs ~7x the interpreter's start-up, and the
 * agent's launch latency budget is a few milliseconds. The task becomes a process-group leader
 * (setpgrp) rather than a session leader: the supervisor already runs in its own session without a
 * terminal, and a group is what kill(-pid) needs.
 */

export const SUPERVISOR_SOURCE = String.raw`
use strict;
my ($run, $sandbox, $cgroups, $ids, $file, @argv) = @ARGV;
$SIG{$_} = 'IGNORE' for qw(TERM INT HUP PIPE);
sub put {
  my ($name, $text) = @_;
  open(my $fh, '>', "$run/$name.tmp") or die "open $run/$name.tmp: $!";
  print $fh $text; close($fh);
  rename("$run/$name.tmp", "$run/$name") or die "rename $run/$name: $!";
}
sub starttime {
  my ($pid) = @_;
  open(my $fh, '<', "/proc/$pid/stat") or return 0;
  my $line = <$fh>; close($fh);
  $line =~ s/^.*\)\s+//s;
  my @f = split(/\s+/, $line);
  return $f[19] // 0;
}
sub fail { print STDERR "$_[0]\n"; exit($_[1]); }
my $pid = fork();
die "fork: $!" unless defined $pid;
if ($pid == 0) {
  $SIG{$_} = 'DEFAULT' for qw(TERM INT HUP PIPE);
  setpgrp(0, 0);
  for my $procs (grep { length } split(/:/, $cgroups)) {
    if (open(my $fh, '>>', $procs)) { print $fh "$$\n"; close($fh); }
  }
  open(STDIN, '<', '/dev/null');
  open(STDOUT, '>>', "$sandbox/stdout") or exit(126);
  open(STDERR, '>>', "$sandbox/stderr") or exit(126);
  if (length $ids) {
    my ($uid, $gid) = split(/:/, $ids);
    $) = "$gid $gid";
    $( = $gid;
    $< = $> = $uid;
    fail("Failed to switch to user $uid:$gid: $!", 126) if $> != $uid || $< != $uid || $( != $gid;
  }
  chdir($sandbox) or fail("Failed to enter the sandbox $sandbox: $!", 126);
  exec { $file } @argv;
  fail("Failed to execute '$file': $!", 127);
}
my $line = "$pid " . starttime($pid) . " $$ " . starttime($$) . "\n";
put('pid', $line);
$| = 1;
print STDOUT $line;
open(STDOUT, '>', '/dev/null');
my $got = waitpid($pid, 0);
put('exit', ($got == $pid ? $? : -1) . "\n");
`;
