"""omniloop in Gazebo: gz sim with the tabletop world (table, blocks, zones, camera), the
simulator's SCARA from its URDF with a bridge-side joint controller, ros_gz_bridge for the camera,
joint states and joint commands, and the omniloop node (omniloop.launch.py with launch/gazebo.yaml).

    ros2 launch launch/gazebo.launch.py            # Jazzy (Gazebo Harmonic) or Humble (Gazebo Fortress)
    ros2 topic pub --once /omniloop/task std_msgs/msg/String "{data: 'touch the red block'}"

The joint controller is Gazebo's own JointTrajectoryController system, added to the robot at
launch; it takes trajectory_msgs/JointTrajectory through the bridge, so the node runs in
joint_trajectory mode (gazebo.yaml). Gazebo has no block detector: a model card with an objects
column needs a detector publishing /detections (the node holds the robot with `stale_input` and
says so on /diagnostics until one does).
"""

import json
import os
import re
import tempfile
from pathlib import Path

from ament_index_python.packages import get_package_share_directory
from launch import LaunchDescription
from launch.actions import DeclareLaunchArgument, IncludeLaunchDescription, OpaqueFunction
from launch.launch_description_sources import PythonLaunchDescriptionSource
from launch.substitutions import LaunchConfiguration
from launch_ros.actions import Node

REPO = Path(__file__).resolve().parent.parent
ROBOT = "omniloop_scara"


def repo_file(relative: str) -> str:
    """A file of this repository, by its path from the repository root."""
    return str(REPO / relative)


# Gains of the joint controller per joint: (p, i, d, command limit = the URDF's effort limit).
GAINS = {
    "shoulder_joint": (40.0, 1.0, 2.0, 15.0),
    "elbow_joint": (20.0, 0.5, 1.0, 6.0),
    "lift_joint": (400.0, 50.0, 10.0, 30.0),
}
INITIAL = {"lift_joint": 0.1}


SCRATCH = []


def scratch_file(name: str) -> Path:
    """A file this launch writes (the world and bridge configuration adapted to the distribution)."""
    if not SCRATCH:
        SCRATCH.append(Path(tempfile.mkdtemp(prefix="omniloop-gz-")))
    return SCRATCH[0] / name


def fortress(text: str) -> str:
    """Humble pairs with Gazebo Fortress, whose plugins and messages still carry the ignition names."""
    return (text.replace("gz-sim-", "ignition-gazebo-")
                .replace("gz::sim::systems::", "ignition::gazebo::systems::")
                .replace("gz.msgs.", "ignition.msgs."))


def card_joints(card_path: str) -> list:
    """The joints the model card commands, in its order."""
    card = json.loads(Path(card_path).read_text())
    action = next(c for c in card["columns"] if c["kind"] == "action")
    return [j["name"] for j in action["action"]["joints"]]


def robot_description(urdf_path: str, joints: list) -> str:
    """The URDF with Gazebo's joint state publisher and joint trajectory controller on the robot;
    their topics are the gz side of gz_bridge.yaml."""
    urdf = Path(urdf_path).read_text()
    missing = [j for j in joints if not re.search(r'<joint\s+name="%s"' % re.escape(j), urdf)]
    if missing:
        raise RuntimeError("%s has no joint %s (the model card commands it)" % (urdf_path, ", ".join(missing)))
    publisher = "".join("<joint_name>%s</joint_name>" % j for j in joints)
    controller = ""
    for j in joints:
        p, i, d, limit = GAINS.get(j, (20.0, 0.0, 1.0, 10.0))
        controller += ("<joint_name>{j}</joint_name><initial_position>{x}</initial_position>"
                       "<position_p_gain>{p}</position_p_gain><position_i_gain>{i}</position_i_gain>"
                       "<position_d_gain>{d}</position_d_gain><position_i_min>-{l}</position_i_min>"
                       "<position_i_max>{l}</position_i_max><position_cmd_min>-{l}</position_cmd_min>"
                       "<position_cmd_max>{l}</position_cmd_max>").format(j=j, x=INITIAL.get(j, 0.0), p=p, i=i, d=d, l=limit)
    plugins = (
        '<gazebo>'
        '<plugin filename="gz-sim-joint-state-publisher-system" name="gz::sim::systems::JointStatePublisher">'
        '<topic>/%s/joint_states</topic>%s</plugin>'
        '<plugin filename="gz-sim-joint-trajectory-controller-system" name="gz::sim::systems::JointTrajectoryController">'
        '<topic>/%s/joint_trajectory</topic>%s</plugin>'
        '</gazebo>' % (ROBOT, publisher, ROBOT, controller))
    return urdf.replace("</robot>", plugins + "\n</robot>")


def launch_setup(context):
    humble = os.environ.get("ROS_DISTRO") == "humble"
    adapt = fortress if humble else (lambda text: text)
    world = scratch_file("world.sdf")
    world.write_text(adapt(Path(LaunchConfiguration("world").perform(context)).read_text()))
    bridge = scratch_file("bridge.yaml")
    bridge.write_text(adapt(Path(LaunchConfiguration("bridge").perform(context)).read_text()))
    joints = card_joints(LaunchConfiguration("card").perform(context))
    description = adapt(robot_description(LaunchConfiguration("urdf").perform(context), joints))
    headless = LaunchConfiguration("gui").perform(context).lower() in ("false", "0", "no")
    gz = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(os.path.join(get_package_share_directory("ros_gz_sim"), "launch", "gz_sim.launch.py")),
        launch_arguments={"gz_args": "-r %s%s" % ("-s " if headless else "", world)}.items(),
    )
    state_publisher = Node(package="robot_state_publisher", executable="robot_state_publisher", output="screen",
                           parameters=[{"robot_description": description, "use_sim_time": True}])
    spawn = Node(package="ros_gz_sim", executable="create", output="screen",
                 arguments=["-name", ROBOT, "-topic", "robot_description", "-x", "0", "-y", "0", "-z", "0"])
    bridge_node = Node(package="ros_gz_bridge", executable="parameter_bridge", output="screen",
                       parameters=[{"config_file": str(bridge), "use_sim_time": True}])
    node = IncludeLaunchDescription(
        PythonLaunchDescriptionSource(repo_file("launch/omniloop.launch.py")),
        launch_arguments={"config": LaunchConfiguration("config").perform(context)}.items(),
    )
    return [gz, state_publisher, spawn, bridge_node, node]


def generate_launch_description():
    return LaunchDescription([
        DeclareLaunchArgument("world", default_value=repo_file("launch/worlds/omniloop_blocks.sdf")),
        DeclareLaunchArgument("urdf", default_value=repo_file("sim/robot/scara.urdf")),
        DeclareLaunchArgument("card", default_value=repo_file("sim/card.json"),
                              description="the card whose action joints the controller drives"),
        DeclareLaunchArgument("bridge", default_value=repo_file("launch/gz_bridge.yaml")),
        DeclareLaunchArgument("config", default_value=repo_file("launch/gazebo.yaml"),
                              description="the omniloop node's parameter file"),
        DeclareLaunchArgument("gui", default_value="true", description="false: run gz sim headless (-s)"),
        OpaqueFunction(function=launch_setup),
    ])
