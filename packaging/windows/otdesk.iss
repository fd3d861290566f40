; Inno Setup script of the otdesk installer for Windows (Inno Setup 6.3 or later).
;
; Build the bundle first (python packaging\build.py), then from the repository's top folder:
;     iscc /DAppVersion=0.1.0 packaging\windows\otdesk.iss
; The release workflow passes the version from pyproject.toml. Result:
;     dist\installer\otdesk-<version>-windows-setup.exe
;
; What it does:
; - installs for the current user only, without administrator rights, into
;   %LOCALAPPDATA%\Programs\otdesk (PrivilegesRequired=lowest);
; - a Start-menu shortcut, and a desktop shortcut when ticked;
; - an uninstaller (Settings > Apps, or the Start menu);
; - upgrades in place: the same AppId finds the installed copy and replaces its program files
;   (the old _internal folder is cleared first so no file of an older version lingers).
;
; The clinic's data is never touched: the database, its backups, the diagnosis index and the
; logs live in %LOCALAPPDATA%\otdesk (a different folder, made by the app, not by setup), and
; nothing in this script deletes it, on upgrade or on uninstall.

#ifndef AppVersion
  #define AppVersion "0.0.0"
#endif
#ifndef BundleDir
  ; the one-folder bundle made by packaging\build.py
  #define BundleDir "..\..\dist\otdesk"
#endif
#ifndef IconFile
  ; rendered from resources\icons\otdesk.svg by the spec (in build.py's work folder)
  #define IconFile "..\..\build\pyinstaller\otdesk\otdesk\icons\otdesk.ico"
#endif
#define AppName "otdesk"
#define AppExe "otdesk.exe"

[Setup]
; The AppId identifies otdesk to Windows across versions: never change it, or an upgrade
; installs a second copy instead of replacing the first.
AppId={{DF9879BF-AC1B-4EA9-8253-4212703C7A46}
AppName={#AppName}
AppVersion={#AppVersion}
AppVerName={#AppName} {#AppVersion}
AppPublisher=otdesk
VersionInfoVersion={#AppVersion}
VersionInfoProductName={#AppName}
VersionInfoDescription={#AppName} installer
; per user, no administrator rights, no elevation prompt
PrivilegesRequired=lowest
DefaultDirName={autopf}\{#AppName}
DefaultGroupName={#AppName}
DisableProgramGroupPage=yes
DisableDirPage=auto
UsePreviousAppDir=yes
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible
MinVersion=10.0
SetupIconFile={#IconFile}
UninstallDisplayIcon={app}\{#AppExe}
UninstallDisplayName={#AppName}
OutputDir=..\..\dist\installer
OutputBaseFilename={#AppName}-{#AppVersion}-windows-setup
Compression=lzma2/max
SolidCompression=yes
WizardStyle=modern
; a running otdesk is asked to close (it saves as it goes) before its files are replaced
CloseApplications=yes
RestartApplications=no

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"

[CustomMessages]
DataKept=otdesk has been removed from this computer.%n%nThe clinic database and its backups were kept in:%n%1%n%nInstalling otdesk again opens them as before. Delete that folder yourself only after copying what the clinic must keep.

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[InstallDelete]
; Program files of the version being replaced (inside the install folder only).
Type: filesandordirs; Name: "{app}\_internal"

[Files]
Source: "{#BundleDir}\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{autoprograms}\{#AppName}"; Filename: "{app}\{#AppExe}"; Comment: "Charge entry and superbills"
Name: "{autodesktop}\{#AppName}"; Filename: "{app}\{#AppExe}"; Tasks: desktopicon

[Run]
Filename: "{app}\{#AppExe}"; Description: "{cm:LaunchProgram,{#AppName}}"; Flags: nowait postinstall skipifsilent

[UninstallDelete]
; Only the install folder itself, once the uninstaller has emptied it.
Type: dirifempty; Name: "{app}"

[Code]
procedure CurUninstallStepChanged(CurUninstallStep: TUninstallStep);
begin
  if (CurUninstallStep = usPostUninstall) and not UninstallSilent then
    MsgBox(FmtMessage(CustomMessage('DataKept'), [ExpandConstant('{localappdata}\otdesk')]),
      mbInformation, MB_OK);
end;
