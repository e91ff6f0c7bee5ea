"""Launch omniloop on a robot: the node (a ROS 2 lifecycle node) with its parameter file, then its
lifecycle transitions to active (configure loads the model, activate starts driving).

    ros2 launch launch/omniloop.launch.py
    ros2 launch launch/omniloop.launch.py config:=/path/robot.yaml policy:=zmq://gpu.lan:5560 server_key:=keys/gpu.key

omniloop is a Node.js program, not an ament package: the node runs as a process from this
repository (`node bin/omniloop.js run --bus ros2`), with rclnodejs from node_modules. Transitions go
through the node's standard lifecycle services (`ros2 lifecycle set`), so a lifecycle manager can
drive it instead (transitions:=false).
"""

from pathlib import Path

from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, ExecuteProcess, OpaqueFunction, RegisterEventHandler
from launch.event_handlers import OnProcessStart
from launch.substitutions import LaunchConfiguration

REPO = Path(__file__).resolve().parent.parent


def repo_file(relative: str) -> str:
    """A file of this repository, by its path from the repository root."""
    return str(REPO / relative)


def lifecycle_steps(node: str, tries: int = 60) -> str:
    """Shell steps that take `node` from unconfigured to active, each retried while the node is not
    up yet (its services appear a moment after the process starts)."""
    step = "n=0; until ros2 lifecycle set {node} {t}; do n=$((n+1)); [ $n -ge {tries} ] && exit 1; sleep 1; done"
    return "; ".join(step.format(node=node, t=t, tries=tries) for t in ("configure", "activate"))


def launch_setup(context):
    name = LaunchConfiguration("node_name").perform(context)
    cmd = ["node", repo_file("bin/omniloop.js"), "run", "--bus", "ros2", "--no-autostart",
           "--config", LaunchConfiguration("config").perform(context), "--node", name]
    policy = LaunchConfiguration("policy").perform(context)
    if policy:
        cmd += ["--policy", policy]
    server_key = LaunchConfiguration("server_key").perform(context)
    if server_key:
        cmd += ["--server-key", server_key]
    provider = LaunchConfiguration("provider").perform(context)
    if provider:
        cmd += ["--provider", provider]
    node = ExecuteProcess(cmd=cmd, cwd=str(REPO), name=name, output="screen", emulate_tty=True, sigterm_timeout="10")
    actions = [node]
    if LaunchConfiguration("transitions").perform(context).lower() in ("true", "1", "yes"):
        transitions = ExecuteProcess(cmd=["sh", "-c", lifecycle_steps("/" + name)], name="omniloop_lifecycle", output="screen")
        actions.append(RegisterEventHandler(OnProcessStart(target_action=node, on_start=[transitions])))
    return actions


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument("config", default_value=repo_file("launch/omniloop.yaml"),
                              description="the node's ROS 2 parameter file"),
        DeclareLaunchArgument("node_name", default_value="omniloop",
                              description="node name (its entry in the parameter file)"),
        DeclareLaunchArgument("policy", default_value="",
                              description="zmq://HOST:PORT of a policy server (omniloop serve-policy); empty: the local model"),
        DeclareLaunchArgument("server_key", default_value="",
                              description="the policy server's public key file (required off loopback)"),
        DeclareLaunchArgument("provider", default_value="",
                              description="execution provider override: auto, cpu, webgpu, cuda, tensorrt"),
        DeclareLaunchArgument("transitions", default_value="true",
                              description="configure and activate the node from here (false: a lifecycle manager does)"),
        OpaqueFunction(function=launch_setup),
    ])
