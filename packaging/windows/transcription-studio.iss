; Inno Setup 6.3 (or newer) script: a per-user installer for the one-folder bundle (no administrator rights needed).
; Build on Windows, after the bundle:
;   scripts\build-bundle.sh is Linux-only; on Windows run, from the repository:
;     .venv\Scripts\python packaging\make_icons.py
;     .venv\Scripts\pyinstaller packaging\studio.spec --noconfirm
;     iscc /DAppVersion=0.1.0 packaging\windows\transcription-studio.iss
; The installer is written to dist\TranscriptionStudio-<version>-setup.exe.

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif
#define AppName "Transcription Studio"
#define AppExe "transcription-studio.exe"

[Setup]
; A fixed AppId keeps upgrades in place; never change it.
AppId={{6F1C2B8E-3D4A-4C1E-9B7F-2A5D8E0C4B13}
AppName={#AppName}
AppVersion={#AppVersion}
AppPublisher=Transcription Studio developers
AppVerName={#AppName} {#AppVersion}
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
LicenseFile=..\..\LICENSE
SetupIconFile=..\..\build\icons\transcription-studio.ico
UninstallDisplayIcon={app}\{#AppExe}
OutputDir=..\..\dist
OutputBaseFilename=TranscriptionStudio-{#AppVersion}-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
CloseApplications=yes

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
; The whole PyInstaller folder: the executable and its _internal\ libraries, models and data.
Source: "..\..\dist\transcription-studio\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Settings, logs and caches live in the user's AppData folders and are kept; only the program folder goes.
Type: filesandordirs; Name: "{app}"
