"""What README.md and the package issue promise of the packed packages, read from the .nupkg files.

Usage: python3 .ci/packages.py <folder with the packages> <version>
"""
import re
import sys
import zipfile
from pathlib import Path

folder, version = Path(sys.argv[1]), sys.argv[2]
problems = []


def package(package_id):
    path = folder / f"{package_id}.{version}.nupkg"
    if not path.exists():
        problems.append(f"{path.name} is missing")
        return None, set()
    archive = zipfile.ZipFile(path)
    nuspec = archive.read(f"{package_id}.nuspec").decode("utf-8-sig")
    if not (folder / f"{package_id}.{version}.snupkg").exists():
        problems.append(f"{package_id}: no .snupkg beside it")
    for needed in ("<license type=\"expression\">Apache-2.0</license>", "<readme>README.md</readme>",
                   "<authors>", "<description>", "<tags>"):
        if needed not in nuspec:
            problems.append(f"{package_id}: nuspec lacks {needed}")
    return nuspec, set(archive.namelist())


expected_packages = {f"{name}.{version}.nupkg" for name in ("Lock.Actors", "Lock.Actors.Hosting", "Lock.Actors.Cli")}
found = {p.name for p in folder.glob("*.nupkg")}
if found != expected_packages:
    problems.append(f"pack made {sorted(found)}, not exactly {sorted(expected_packages)}")

for library in ("Lock.Actors", "Lock.Actors.Hosting"):
    nuspec, files = package(library)
    if nuspec is None:
        continue
    for framework in ("net8.0", "net10.0"):
        for extension in ("dll", "xml"):
            if f"lib/{framework}/{library}.{extension}" not in files:
                problems.append(f"{library}: no lib/{framework}/{library}.{extension}")
        group = re.search(rf'<group targetFramework="{re.escape(framework)}">(.*?)</group>', nuspec, re.S)
        dependencies = set(re.findall(r'<dependency id="([^"]+)"', group.group(1))) if group else set()
        allowed = {"Akka", "Akka.Coordination", "StackExchange.Redis"} if library == "Lock.Actors" else {"Lock.Actors", "Akka.Hosting"}
        if dependencies != allowed:
            problems.append(f"{library} ({framework}) depends on {sorted(dependencies)}, not exactly {sorted(allowed)}")

nuspec, files = package("Lock.Actors.Cli")
if nuspec is not None:
    if "tools/net10.0/any/hocon/lock-host.conf" not in files:
        problems.append("Lock.Actors.Cli: hocon/lock-host.conf is not inside the tool")
    settings = zipfile.ZipFile(folder / f"Lock.Actors.Cli.{version}.nupkg").read("tools/net10.0/any/DotnetToolSettings.xml").decode("utf-8-sig")
    if 'Name="lock-actors"' not in settings:
        problems.append("Lock.Actors.Cli: the tool's command is not lock-actors")

for problem in problems:
    print(problem)
print("packages: " + ("as promised" if not problems else f"{len(problems)} problem(s)"))
sys.exit(1 if problems else 0)
