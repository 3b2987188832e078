<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="en_US">
<context>
    <name>MainWindow</name>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="702" />
        <source>Repair %n file(s)</source>
        <translation>
            <numerusform>Repair %n file</numerusform><numerusform>Repair %n files</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="730" />
        <source>Checking %n file(s)…</source>
        <translation>
            <numerusform>Checking %n file…</numerusform><numerusform>Checking %n files…</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="737" />
        <source>%n repaired</source>
        <translation>
            <numerusform>%n repaired</numerusform><numerusform>%n repaired</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="739" />
        <source>%n repaired with gaps</source>
        <translation>
            <numerusform>%n repaired with gaps</numerusform><numerusform>%n repaired with gaps</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="741" />
        <source>%n failed</source>
        <translation>
            <numerusform>%n failed</numerusform><numerusform>%n failed</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="744" />
        <source>%n file(s) ready</source>
        <translation>
            <numerusform>%n file ready</numerusform><numerusform>%n files ready</numerusform></translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="765" />
        <source>%n file(s) are still being repaired. If you close now, the repair stops and nothing half-finished is left behind; the originals stay as they are.</source>
        <translation>
            <numerusform>%n file is still being repaired. If you close now, the repair stops and nothing half-finished is left behind; the original stays as it is.</numerusform><numerusform>%n files are still being repaired. If you close now, the repairs stop and nothing half-finished is left behind; the originals stay as they are.</numerusform></translation>
    </message>
</context>
</TS>