<?xml version='1.0' encoding='utf-8'?>
<TS version="2.1" language="ja_JP">
<context>
    <name />
    <message>
        <location filename="../../src/mp4fix/gui/job.py" line="45" />
        <source>The result would take the original recording's name; choose another name or folder in Settings.</source>
        <translation>修復したファイルが元の録画と同じ名前になってしまいます。設定で別の名前か保存先を選んでください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/job.py" line="67" />
        <source>%1 already exists. To replace it or keep both, change "If the name is taken" in Settings.</source>
        <translation>%1 はすでにあります。置き換えるか両方残すには、設定の「同じ名前がある場合」を変更してください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/jobs.py" line="81" />
        <source>Something unexpected went wrong and the file was not repaired. The details can help a developer find the cause.</source>
        <translation>予期しない問題が起きたため、ファイルは修復されませんでした。「詳細」の内容は開発者が原因を調べる手がかりになります。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/jobs.py" line="118" />
        <source>Something unexpected went wrong while looking at this file. The details can help a developer find the cause.</source>
        <translation>このファイルを調べている途中で予期しない問題が起きました。「詳細」の内容は開発者が原因を調べる手がかりになります。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="129" />
        <source> (cut short)</source>
        <translation>（途中で切れています）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="46" />
        <source>The reference does not fit</source>
        <translation>参照ファイルが合いません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="47" />
        <source>Nothing could be recovered</source>
        <translation>何も復元できませんでした</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="48" />
        <source>Codec not supported</source>
        <translation>対応していないコーデック</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="49" />
        <source>Could not save the result</source>
        <translation>保存できませんでした</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="50" />
        <source>Not broken</source>
        <translation>壊れていません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="51" />
        <source>The reference cannot be used</source>
        <translation>参照ファイルが使えません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="52" />
        <source>The file cannot be read</source>
        <translation>ファイルを読めません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="53" />
        <source>ffmpeg did not run</source>
        <translation>ffmpeg を実行できません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="54" />
        <source>See the details</source>
        <translation>詳細を参照</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="61" />
        <source>A folder, not a file</source>
        <translation>ファイルではなくフォルダー</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="63" />
        <source>File not found</source>
        <translation>ファイルがありません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="65" />
        <source>Empty file</source>
        <translation>空のファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="67" />
        <location filename="../../src/mp4fix/gui/probe.py" line="69" />
        <source>Cannot be read</source>
        <translation>読み込めません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="70" />
        <source>Not an MP4 or MOV file</source>
        <translation>MP4 / MOV ではありません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="161" />
        <source>Boxes in the file:</source>
        <translation>ファイル内のボックス:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="164" />
        <source>ffmpeg says:</source>
        <translation>ffmpeg の出力:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="171" />
        <source>The index (moov) is missing: the recording was not finished. %1 of audio/video data can be recovered.</source>
        <translation>インデックス（moov）がありません。録画が最後まで終わらなかったためです。%1 の映像・音声データを復元できます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="174" />
        <source>The index (moov) is missing: the recording was not finished.</source>
        <translation>インデックス（moov）がありません。録画が最後まで終わらなかったためです。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="178" />
        <source>This file is not broken: its index is complete, so there is nothing to repair. It can serve as the reference.</source>
        <translation>このファイルは壊れていません。インデックスがそろっているので修復は不要です。参照ファイルとして使えます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="180" />
        <source>Plays as it is</source>
        <translation>そのまま再生できます</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="181" />
        <source>No audio or video data was found in this file, so there is nothing to recover.</source>
        <translation>このファイルには映像・音声データが見つからないため、復元できるものがありません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="182" />
        <source>No audio or video data</source>
        <translation>映像・音声データなし</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="213" />
        <source>This file is broken too: it has no index (moov). Choose a healthy recording made with the same camera and settings.</source>
        <translation>このファイルも壊れています（インデックス moov がありません）。同じカメラ・同じ設定で撮った正常な録画を選んでください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="219" />
        <source>mp4fix cannot rebuild any track of this file (codecs: %1).</source>
        <translation>mp4fix はこのファイルのどのトラックも再構築できません（コーデック: %1）。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/probe.py" line="228" />
        <source>A healthy recording; it can be used as the reference.</source>
        <translation>正常な録画です。参照ファイルとして使えます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="35" />
        <source>Track</source>
        <translation>トラック</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/text.py" line="43" />
        <source>%1 fps</source>
        <translation>%1 fps</translation>
    </message>
</context>
<context>
    <name>DetailsExpander</name>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="478" />
        <source>Details</source>
        <translation>詳細</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="479" />
        <source>Show details</source>
        <translation>詳細を表示</translation>
    </message>
</context>
<context>
    <name>DetailsPanel</name>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="118" />
        <source>&amp;Play</source>
        <translation>再生(&amp;P)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="119" />
        <source>Show in &amp;folder</source>
        <translation>フォルダーで表示(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="120" />
        <source>Use as &amp;reference</source>
        <translation>参照ファイルにする(&amp;R)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="121" />
        <source>&amp;Try again</source>
        <translation>もう一度試す(&amp;T)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="122" />
        <source>&amp;Cancel this file</source>
        <translation>このファイルを中止(&amp;C)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="123" />
        <source>Remove from &amp;list</source>
        <translation>一覧から外す(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="124" />
        <source>Select a file in the list to see what was found and what was recovered.</source>
        <translation>一覧のファイルを選ぶと、見つかった問題と復元された内容がここに表示されます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="151" />
        <source>The result was not checked with ffmpeg.</source>
        <translation>結果は ffmpeg で確認していません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="153" />
        <source>ffmpeg decoded the whole file without errors.</source>
        <translation>ffmpeg でファイル全体をエラーなしでデコードできました。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="156" />
        <source>ffmpeg decoded the file with 1 error; a moment may show a glitch.</source>
        <translation>ffmpeg でのデコード中にエラーが 1 件ありました。一瞬乱れる箇所があるかもしれません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="157" />
        <source>ffmpeg decoded the file with %1 errors; some moments may show glitches.</source>
        <translation>ffmpeg でのデコード中にエラーが %1 件ありました。乱れる箇所があるかもしれません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="166" />
        <source>%1 frames</source>
        <translation>%1 フレーム</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="168" />
        <source>%1 packets</source>
        <translation>%1 パケット</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="172" />
        <source>not recovered</source>
        <translation>復元できませんでした</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="178" />
        <source>%1 of data belonged to no track and was left out.</source>
        <translation>どのトラックにも属さない %1 のデータは除外しました。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="181" />
        <source>The last %1 were cut off by the crash in the middle of a frame and cannot be used.</source>
        <translation>最後の %1 は停止時にフレームの途中で切れていたため使えません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="208" />
        <source>Repaired: %1 recovered, saved as %2.</source>
        <translation>修復しました。%1 を復元し、%2 として保存しました。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="221" />
        <source>First recovered frame</source>
        <translation>復元された最初のフレーム</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="223" />
        <source>Last recovered frame</source>
        <translation>復元された最後のフレーム</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="238" />
        <source>Cancelled. Nothing was written; the original is untouched.</source>
        <translation>中止しました。何も書き込まれておらず、元のファイルもそのままです。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="244" />
        <source>Waiting for the files before it to finish.</source>
        <translation>前のファイルの修復が終わるのを待っています。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/details.py" line="247" />
        <source>Checking the file…</source>
        <translation>ファイルを確認しています…</translation>
    </message>
</context>
<context>
    <name>DropArea</name>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="110" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="156" />
        <source>Drop more broken recordings here</source>
        <translation>ほかの録画もここにドロップ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="111" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="157" />
        <source>Drop broken recordings here</source>
        <translation>壊れた録画をここにドロップ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="112" />
        <source>Files or whole folders. Several at once are repaired one after another.</source>
        <translation>ファイルでもフォルダーごとでもかまいません。複数あれば順に修復します。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="113" />
        <source>&amp;Add files…</source>
        <translation>ファイルを追加(&amp;A)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="114" />
        <source>Add &amp;folder…</source>
        <translation>フォルダーを追加(&amp;F)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="115" />
        <source>Drop area for broken recordings</source>
        <translation>壊れた録画のドロップ先</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="116" />
        <source>Press Enter to choose files.</source>
        <translation>Enter キーでファイルを選べます。</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="317" />
        <source>Repair unfinished recordings</source>
        <translation>途中で終わった録画を修復</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="318" />
        <source>For videos whose recording was cut off (battery, crash, full card). The originals are never changed.</source>
        <translation>電池切れ・停止・カードの容量不足などで途中で切れた動画に。元のファイルは変更しません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="320" />
        <source>&amp;Settings</source>
        <translation>設定(&amp;S)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="321" />
        <source>Where repaired files go and how they are named</source>
        <translation>修復したファイルの保存先と名前</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="322" />
        <source>Cancel a&amp;ll</source>
        <translation>すべて中止(&amp;L)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="323" />
        <source>Clear &amp;finished</source>
        <translation>完了したものを消去(&amp;F)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="324" />
        <source>Add files</source>
        <translation>ファイルを追加</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="325" />
        <location filename="../../src/mp4fix/gui/main_window.py" line="327" />
        <location filename="../../src/mp4fix/gui/main_window.py" line="818" />
        <source>Repair</source>
        <translation>修復</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="326" />
        <source>Files to repair</source>
        <translation>修復するファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="379" />
        <source>No MP4 or MOV files were found in %1.</source>
        <translation>%1 に MP4 / MOV ファイルは見つかりませんでした。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="391" />
        <source>Already in the list.</source>
        <translation>すでに一覧にあります。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="399" />
        <source>Choose broken recordings</source>
        <translation>壊れた録画を選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="400" />
        <location filename="../../src/mp4fix/gui/main_window.py" line="425" />
        <source>Videos (*.mp4 *.MP4 *.mov *.MOV *.m4v *.3gp *.lrv *.LRV);;All files (*)</source>
        <translation>動画 (*.mp4 *.MP4 *.mov *.MOV *.m4v *.3gp *.lrv *.LRV);;すべてのファイル (*)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="405" />
        <source>Choose a folder of recordings</source>
        <translation>録画のあるフォルダーを選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="424" />
        <source>Choose a healthy recording from the same camera</source>
        <translation>同じカメラで撮った正常な録画を選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="432" />
        <source>Used last time for this folder.</source>
        <translation>このフォルダーで前回使ったファイルです。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="547" />
        <source>Healthy files in the folder were left out of the list; one of them can serve as the reference.</source>
        <translation>フォルダー内の正常なファイルは一覧から外しました。そのうちの 1 つを参照ファイルとして使えます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="553" />
        <source>This file is not broken: it is a repaired copy and plays as it is.</source>
        <translation>このファイルは壊れていません。修復済みのコピーで、そのまま再生できます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="554" />
        <source>Already repaired</source>
        <translation>修復済みのファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="593" />
        <source>A reference file is needed</source>
        <translation>参照ファイルが必要です</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="594" />
        <source>Drop a healthy recording made with the same camera and settings on the Reference file box, or choose one. mp4fix learns from it how to read the broken files.</source>
        <translation>同じカメラ・同じ設定で撮った正常な録画を「参照ファイル」の欄にドロップするか、選んでください。mp4fix はそこから壊れたファイルの読み方を学びます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="600" />
        <source>The reference is still being checked; try again in a moment.</source>
        <translation>参照ファイルを確認中です。少し待ってからもう一度押してください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="603" />
        <source>This reference cannot be used</source>
        <translation>この参照ファイルは使えません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="607" />
        <source>The reference may not fit</source>
        <translation>参照ファイルが合っていない可能性があります</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="608" />
        <source>Repair anyway</source>
        <translation>それでも修復</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="608" />
        <source>Cancel</source>
        <translation>キャンセル</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="619" />
        <source>and %n more</source>
        <translation>
            <numerusform>ほか %n 件</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="620" />
        <source>The reference %1 may not fit %n file(s): %2.</source>
        <translation>
            <numerusform>参照ファイル %1 は次の %n 件に合わない可能性があります: %2。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="623" />
        <source>A repair with the wrong reference usually gives a file that does not play properly. Repair anyway?</source>
        <translation>合わない参照ファイルで修復すると、たいていは正しく再生できないファイルになります。それでも修復しますか？</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="662" />
        <source>Stopping… nothing half-finished will be left behind.</source>
        <translation>中止しています… 作りかけのファイルは残りません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="727" />
        <source>No player found</source>
        <translation>再生できるアプリがありません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="728" />
        <source>This computer has no application set up to play %1. The repaired file is here:
%2</source>
        <translation>このコンピューターには %1 を再生するアプリが設定されていません。修復したファイルはここにあります:
%2</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="729" />
        <source>videos</source>
        <translation>動画</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="735" />
        <source>No file manager found</source>
        <translation>ファイルマネージャーがありません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="736" />
        <source>This computer has no file manager set up to open folders. The file is in:
%1</source>
        <translation>このコンピューターにはフォルダーを開くファイルマネージャーが設定されていません。ファイルはここにあります:
%1</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="746" />
        <source>Cancel this file</source>
        <translation>このファイルを中止</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="749" />
        <source>Play</source>
        <translation>再生</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="750" />
        <source>Show in folder</source>
        <translation>フォルダーで表示</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="752" />
        <source>Use as reference</source>
        <translation>参照ファイルにする</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="753" />
        <source>Remove from list</source>
        <translation>一覧から外す</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="816" />
        <source>Repair %n file(s)</source>
        <translation>
            <numerusform>%n 件を修復</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="832" />
        <source>Stopping the repairs before closing…</source>
        <translation>閉じる前に修復を中止しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="835" />
        <source>1. Drop the broken recordings.  2. Add a healthy reference file.  3. Press Repair.</source>
        <translation>1. 壊れた録画をドロップ　2. 正常な参照ファイルを追加　3.「修復」を押す</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="836" />
        <source>Now drop the broken recordings.</source>
        <translation>次に壊れた録画をドロップしてください。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="840" />
        <source>Repairing %1 of %2… You can keep using your computer; the window stays open.</source>
        <translation>%2 件中 %1 件目を修復中… その間もパソコンは普通に使えます。</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="844" />
        <source>Checking %n file(s)…</source>
        <translation>
            <numerusform>%n 件を確認中…</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="851" />
        <source>%n repaired</source>
        <translation>
            <numerusform>%n 件修復済み</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="853" />
        <source>%n repaired with gaps</source>
        <translation>
            <numerusform>%n 件は欠けあり</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="855" />
        <source>%n failed</source>
        <translation>
            <numerusform>%n 件失敗</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="858" />
        <source>%n file(s) ready</source>
        <translation>
            <numerusform>%n 件修復できます</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="860" />
        <source>%1 of data to recover</source>
        <translation>復元するデータ %1</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="862" />
        <source>add a reference file to start</source>
        <translation>参照ファイルを追加すると開始できます</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="864" />
        <source>Nothing to repair in this list.</source>
        <translation>この一覧に修復するものはありません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="887" />
        <source>Stop repairing?</source>
        <translation>修復を中止しますか？</translation>
    </message>
    <message numerus="yes">
        <location filename="../../src/mp4fix/gui/main_window.py" line="888" />
        <source>%n file(s) are still being repaired. If you close now, the repair stops and nothing half-finished is left behind; the originals stay as they are.</source>
        <translation>
            <numerusform>まだ %n 件を修復中です。今閉じると修復は中止されますが、作りかけのファイルは残らず、元のファイルもそのままです。</numerusform>
        </translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="891" />
        <source>Stop and close</source>
        <translation>中止して閉じる</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/main_window.py" line="891" />
        <source>Keep repairing</source>
        <translation>修復を続ける</translation>
    </message>
</context>
<context>
    <name>QueueModel</name>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="80" />
        <source>File</source>
        <translation>ファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="80" />
        <source>Size</source>
        <translation>サイズ</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="80" />
        <source>Status</source>
        <translation>状態</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="80" />
        <source>Progress</source>
        <translation>進行状況</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="81" />
        <source>Recovered</source>
        <translation>復元</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="81" />
        <source>Result</source>
        <translation>結果</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="86" />
        <location filename="../../src/mp4fix/gui/queue_model.py" line="110" />
        <source>Checking…</source>
        <translation>確認中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="88" />
        <source>Ready to repair</source>
        <translation>修復できます</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="90" />
        <source>Not broken</source>
        <translation>壊れていません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="92" />
        <source>Cannot be repaired</source>
        <translation>修復できません</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="94" />
        <source>Waiting…</source>
        <translation>待機中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="98" />
        <source>Repaired</source>
        <translation>修復済み</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="100" />
        <source>Repaired, with gaps</source>
        <translation>修復済み（欠けあり）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="102" />
        <source>Failed</source>
        <translation>失敗</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="104" />
        <source>Cancelled</source>
        <translation>中止</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="111" />
        <source>Reading reference…</source>
        <translation>参照を読込中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="112" />
        <source>Scanning…</source>
        <translation>検索中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="113" />
        <source>Indexing…</source>
        <translation>索引作成中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="114" />
        <source>Writing…</source>
        <translation>書き込み中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="115" />
        <source>Verifying…</source>
        <translation>検証中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="120" />
        <source>Checking the file…</source>
        <translation>ファイルを確認しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="121" />
        <source>Reading the reference…</source>
        <translation>参照ファイルを読んでいます…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="122" />
        <source>Finding audio and video…</source>
        <translation>映像と音声を探しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="123" />
        <source>Building the index…</source>
        <translation>インデックスを作っています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="124" />
        <source>Writing the repaired file…</source>
        <translation>修復したファイルを書き込んでいます…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="125" />
        <source>Checking the result…</source>
        <translation>結果を確認しています…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="116" />
        <location filename="../../src/mp4fix/gui/queue_model.py" line="126" />
        <source>Repairing…</source>
        <translation>修復中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="136" />
        <source>Nothing was written.</source>
        <translation>何も書き込まれていません。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/queue_model.py" line="143" />
        <source>%1 to recover</source>
        <translation>復元可能 %1</translation>
    </message>
</context>
<context>
    <name>ReferenceSlot</name>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="286" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="293" />
        <source>Reference file</source>
        <translation>参照ファイル</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="287" />
        <source>A healthy recording made with the same camera and the same settings. mp4fix learns from it how to read the broken files.</source>
        <translation>同じカメラ・同じ設定で撮った正常な録画です。mp4fix はそこから壊れたファイルの読み方を学びます。</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="289" />
        <source>&amp;Choose reference…</source>
        <translation>参照ファイルを選択(&amp;C)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="290" />
        <location filename="../../src/mp4fix/gui/widgets.py" line="291" />
        <source>Remove the reference</source>
        <translation>参照ファイルを外す</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="292" />
        <source>&amp;Use this file</source>
        <translation>このファイルを使う(&amp;U)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="322" />
        <source>A healthy recording, but it may not fit the files to repair:</source>
        <translation>正常な録画ですが、修復するファイルに合わない可能性があります:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="343" />
        <source>Checking…</source>
        <translation>確認中…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/widgets.py" line="389" />
        <source>%1 in the same folder is a healthy recording that fits. Use it as the reference?</source>
        <translation>同じフォルダーの %1 は、条件に合う正常な録画です。参照ファイルとして使いますか？</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="42" />
        <source>Settings</source>
        <translation>設定</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="45" />
        <source>&amp;Beside the original recording</source>
        <translation>元の録画と同じ場所(&amp;B)</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="46" />
        <source>In this &amp;folder:</source>
        <translation>このフォルダー(&amp;F):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="51" />
        <source>Choose a folder</source>
        <translation>フォルダーを選択</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="52" />
        <source>Output folder</source>
        <translation>保存先フォルダー</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="53" />
        <source>C&amp;hoose…</source>
        <translation>選択(&amp;H)…</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="64" />
        <source>Naming pattern</source>
        <translation>名前の付け方</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="70" />
        <source>Keep both (add a number to the new one)</source>
        <translation>両方残す（新しい方に番号を付ける）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="71" />
        <source>Replace the earlier result</source>
        <translation>前の結果を置き換える</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="72" />
        <source>Don't repair, tell me</source>
        <translation>修復せずに知らせる</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="75" />
        <source>Same as the system</source>
        <translation>システムに合わせる</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="76" />
        <source>Light</source>
        <translation>ライト</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="77" />
        <source>Dark</source>
        <translation>ダーク</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="82" />
        <source>Same as the system (%1)</source>
        <translation>システムに合わせる（%1）</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="86" />
        <source>Language</source>
        <translation>言語</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="89" />
        <source>Save repaired files:</source>
        <translation>修復したファイルの保存先:</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="90" />
        <source>&amp;Name:</source>
        <translation>名前(&amp;N):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="92" />
        <source>If the name is &amp;taken:</source>
        <translation>同じ名前がある場合(&amp;T):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="93" />
        <source>&amp;Appearance:</source>
        <translation>外観(&amp;A):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="94" />
        <source>&amp;Language:</source>
        <translation>言語(&amp;L):</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="117" />
        <source>Save repaired files in</source>
        <translation>修復したファイルの保存先</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="125" />
        <source>For example: %1 becomes %2</source>
        <translation>例: %1 は %2 になります</translation>
    </message>
    <message>
        <location filename="../../src/mp4fix/gui/settings_dialog.py" line="129" />
        <source>The name must contain &lt;name&gt; plus something of your own, for example %1.</source>
        <translation>名前には &lt;name&gt; と、それ以外の文字を含めてください（例: %1）。</translation>
    </message>
</context>
</TS>